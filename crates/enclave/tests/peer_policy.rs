//! Peers are attested under the operator's policy (issue 10 item 3): the trust anchor, the
//! measurements and the simulation opt-in come from `Init`, nothing is accepted by default,
//! and a session is bound to the node id the host names. Each test asserts the reason it is
//! about: through the boundary (coarse `ChannelFailure`) and on the session tables (the
//! verifier's exact failures).

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Failure, TeeType, TrustAnchor, Verifier};
use mcnode_enclave::channel::{ChannelConfig, ChannelError, SessionLimits, Sessions};
use mcnode_enclave::identity::{EnclaveIdentity, IdentityParams};
use mcnode_enclave::measurement::{default_trusted_measurements, release_program};
use mcnode_enclave::refusal::ChannelFailure;
use mcnode_enclave::{
    BoundaryError, Enclave, EnclaveError, InProcessEnclave, InitParams, PeerPolicy, TrustedEnclave,
};
use mcnode_types::{Hash32, NodeId};

fn refused(r: Result<impl std::fmt::Debug, BoundaryError>) -> EnclaveError {
    match r {
        Err(BoundaryError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Runs an XX handshake `a` -> `b`, `a` naming `b` as `b_as` and `b` naming `a` as `a_as`.
/// Returns the initiator's result (message 3) and, if it succeeded, the responder's.
fn handshake(
    a: &mut impl Enclave,
    b: &mut impl Enclave,
    a_as: NodeId,
    b_as: NodeId,
) -> (Result<(), EnclaveError>, Option<Result<(), EnclaveError>>) {
    let m1 = a.peer_init(b_as).unwrap();
    let m2 = b.peer_accept(a_as, m1).unwrap();
    match a.peer_connect(b_as, m2, NOW) {
        Ok((_, m3, _)) => (Ok(()), Some(b.peer_finish(a_as, m3, NOW).map(|_| ()).map_err(unwrap))),
        Err(e) => (Err(unwrap(e)), None),
    }
}

fn unwrap(e: BoundaryError) -> EnclaveError {
    refused(Err::<(), _>(e))
}

fn signer(e: &mut impl Enclave) -> NodeId {
    e.identity().unwrap().block_signer
}

#[test]
fn evidence_from_a_platform_not_under_the_configured_anchor_is_refused() {
    let w = world(0, 12, 0);
    let (mut honest, _) = enclave(&w, 9);
    // The attacker's "enclave" runs on a simulated platform certified by the devnet root,
    // whose seed is public: anyone can make such evidence. Same configuration otherwise.
    let devnet = SimPlatform::devnet([0x66; 32]);
    let mut forged = InProcessEnclave::new(TrustedEnclave::new(devnet, release_program()), [3; 32]);
    forged.init(w.init_params(None)).unwrap();
    let (h, f) = (node(9), node(0));
    // Either direction: refused at the evidence check (its chain to the anchor), not in the
    // Noise layer.
    let untrusted = EnclaveError::Channel(ChannelFailure::AttestUntrustedAnchor);
    let (r, finish) = handshake(&mut forged, &mut honest, f, h);
    assert_eq!(r, Ok(()), "the forger accepts the honest enclave");
    assert_eq!(finish, Some(Err(untrusted)));
    let (r, _) = handshake(&mut honest, &mut forged, h, f);
    assert_eq!(r, Err(untrusted));

    // The verifier's reason, on the session tables with the same policy: the chain.
    let cfg = w.channel_config();
    let params = IdentityParams {
        chain_id: CHAIN,
        node_id: mcnode_types::NodeId([0x4e; 32]),
        config_digest: cfg.config_digest,
        nonce: [1; 16],
        now: NOW,
        validity_secs: 3600,
    };
    let id = |p: &SimPlatform, seed| {
        EnclaveIdentity::generate_simulated(p, &release_program(), &params, [seed; 32]).unwrap()
    };
    let devnet = SimPlatform::devnet([0x66; 32]);
    let failures = peer_failures(&cfg, peer_policy(), id(&platform(), 1), id(&devnet, 2));
    assert_eq!(failures, vec![Failure::UntrustedChain]);
    assert_ne!(SimRootKey::devnet().public(), root().public());
}

/// Handshake from `a` (verifying under `policy`) to `b`, naming each by the node id its
/// evidence names; returns the attestation failures `a` reports.
fn peer_failures(
    cfg: &ChannelConfig,
    policy: PeerPolicy,
    a: EnclaveIdentity,
    b: EnclaveIdentity,
) -> Vec<Failure> {
    let verifier = Verifier::new(policy.to_policy());
    let trusting = Verifier::new(peer_policy().to_policy());
    let b_id = NodeId(b.evidence().claims.node_id);
    let a_id = NodeId(a.evidence().claims.node_id);
    let mut a = Sessions::new(a, cfg.clone(), verifier, SessionLimits::default());
    let mut b = Sessions::new(b, cfg.clone(), trusting, SessionLimits::default());
    let m1 = a.peer_connect(b_id, [1; 32]).unwrap();
    let m2 = b.peer_accept(a_id, &m1, [2; 32]).unwrap();
    match a.peer_connected(b_id, &m2, NOW) {
        Err(ChannelError::Attestation(r)) => r.failures,
        other => panic!("expected an attestation refusal, got {other:?}"),
    }
}

#[test]
fn a_genuine_enclave_presenting_itself_as_another_node_is_refused() {
    let w = world(0, 12, 0);
    let (mut a, _) = enclave(&w, 9);
    let (mut b, _) = enclave(&w, 10);
    let (ida, idb, idc) = (node(9), node(10), node(11));
    let mismatch = EnclaveError::Channel(ChannelFailure::PeerIdMismatch);
    // The host of `a` dials node `c`; the genuine enclave of node `b` answers (its host
    // forwards, or claims to be `c`): its evidence names `b`.
    let (r, _) = handshake(&mut a, &mut b, ida, idc);
    assert_eq!(r, Err(mismatch));
    // The responder binds too: `b` is told the initiator is node `c`, but node `a`'s
    // enclave initiates.
    let (r, finish) = handshake(&mut a, &mut b, idc, idb);
    assert_eq!(r, Ok(()));
    assert_eq!(finish, Some(Err(mismatch)));
    // Control: named correctly, both sides accept.
    let (r, finish) = handshake(&mut a, &mut b, ida, idb);
    assert_eq!((r, finish), (Ok(()), Some(Ok(()))));
    // Naming a peer by its block-signing key (the announcement this replaced) is refused too.
    let b_signer = signer(&mut b);
    let (r, _) = handshake(&mut a, &mut b, ida, b_signer);
    assert_eq!(r, Err(mismatch));

    // The exact reason on the session tables.
    let cfg = w.channel_config();
    let params = |seed| IdentityParams {
        chain_id: CHAIN,
        node_id: mcnode_types::NodeId([0x4e; 32]),
        config_digest: cfg.config_digest,
        nonce: [seed; 16],
        now: NOW,
        validity_secs: 3600,
    };
    let id = |seed: u8| {
        EnclaveIdentity::generate_simulated(
            &platform(),
            &release_program(),
            &params(seed),
            [seed; 32],
        )
        .unwrap()
    };
    let (x, y) = (id(1), id(2));
    let y_id = NodeId(y.evidence().claims.node_id);
    let y_signer = NodeId(y.block_signing_key().verifying().to_bytes());
    let named = NodeId([0x77; 32]);
    let verifier = || Verifier::new(peer_policy().to_policy());
    let mut x = Sessions::new(x, cfg.clone(), verifier(), SessionLimits::default());
    let mut y = Sessions::new(y, cfg.clone(), verifier(), SessionLimits::default());
    let m1 = x.peer_connect(named, [1; 32]).unwrap();
    let m2 = y.peer_accept(NodeId([0x55; 32]), &m1, [2; 32]).unwrap();
    match x.peer_connected(named, &m2, NOW) {
        Err(ChannelError::PeerIdMismatch { named: n, attested }) => {
            assert_eq!((n, attested), (named, y_id));
        }
        other => panic!("expected PeerIdMismatch, got {other:?}"),
    }
    assert!(!x.is_attested_signer(&y_signer), "a refused peer is not remembered as a signer");
}

#[test]
fn nothing_is_accepted_by_default() {
    let w = world(0, 12, 0);
    // Two genuine enclaves whose operators configured no peer policy (the default): same
    // configuration digest, so the handshake reaches the evidence check, which refuses.
    let (mut a, mut b) =
        (InProcessEnclave::new(core(), [1; 32]), InProcessEnclave::new(core(), [2; 32]));
    a.init(w.init_with_policy(None, PeerPolicy::default())).unwrap();
    b.init(w.init_with_policy(None, PeerPolicy::default())).unwrap();
    let (r, _) = handshake(&mut a, &mut b, node(0), node(0));
    // Reported as the first failed check: no anchor for the tee type.
    assert_eq!(r, Err(EnclaveError::Channel(ChannelFailure::AttestUntrustedAnchor)));

    // The verifier's reasons: no anchor, tee `sim` not allowed, no opt-in, no measurement.
    let digest = mcnode_enclave::call::config_digest(
        CHAIN,
        &fees(),
        &w.fee_account.default_address(),
        &PeerPolicy::default(),
    );
    let cfg = ChannelConfig::new(CHAIN, digest);
    let params = |seed| IdentityParams {
        chain_id: CHAIN,
        node_id: mcnode_types::NodeId([0x4e; 32]),
        config_digest: digest,
        nonce: [seed; 16],
        now: NOW,
        validity_secs: 3600,
    };
    let id = |seed: u8| {
        EnclaveIdentity::generate_simulated(
            &platform(),
            &release_program(),
            &params(seed),
            [seed; 32],
        )
        .unwrap()
    };
    let failures = peer_failures(&cfg, PeerPolicy::default(), id(1), id(2));
    assert!(failures.contains(&Failure::NoAnchor { tee: TeeType::Sim }), "{failures:?}");
    assert!(failures.contains(&Failure::TeeNotAllowed { tee: TeeType::Sim }), "{failures:?}");
    assert!(failures.contains(&Failure::SimulationNotAllowed), "{failures:?}");
    assert!(
        failures.iter().any(|f| matches!(f, Failure::MeasurementNotTrusted { .. })),
        "{failures:?}"
    );

    // The right anchor and measurement but no explicit opt-in: simulated evidence refused.
    let no_opt_in = PeerPolicy::new(
        vec![TrustAnchor { tee: TeeType::Sim, root_key: root().public() }],
        &default_trusted_measurements(),
        false,
    );
    let failures = peer_failures(&cfg, no_opt_in, id(3), id(4));
    assert_eq!(
        failures,
        vec![Failure::TeeNotAllowed { tee: TeeType::Sim }, Failure::SimulationNotAllowed]
    );
    // Another measurement only: refused for the measurement.
    let other = PeerPolicy {
        measurements: vec![mcnode_attest::MeasurementRule::Exact(Hash32([9; 32]))],
        ..peer_policy()
    };
    let failures = peer_failures(&cfg, other, id(5), id(6));
    assert!(matches!(failures[..], [Failure::MeasurementNotTrusted { .. }]), "{failures:?}");
}

/// The host names the node its enclave serves at `Init`, and must prove it holds that node's
/// message key: a host cannot start an enclave that attests to being another node (and then
/// answer for that node), nor relabel its enclave afterwards (the evidence names the node).
#[test]
fn init_refuses_a_node_id_the_host_cannot_sign_for() {
    let w = world(0, 12, 0);
    let honest = w.init_node(10, None);
    // Node 9's host claims node 10's id, with a proof made by its own key.
    let (_, own_proof) = mcnode_enclave::call::node_id_proof(&node_key(9), CHAIN);
    let stolen = InitParams { node_id_proof: own_proof, ..honest.clone() };
    let mut e = InProcessEnclave::new(core(), [1; 32]);
    assert_eq!(refused(e.init(stolen)), EnclaveError::NodeIdProof);
    // A proof for another chain does not carry over.
    let (_, other_chain) = mcnode_enclave::call::node_id_proof(&node_key(10), "other");
    let replayed = InitParams { node_id_proof: other_chain, ..honest.clone() };
    assert_eq!(refused(e.init(replayed)), EnclaveError::NodeIdProof);
    // Control: the real proof is accepted, and the evidence names the node.
    e.init(honest).unwrap();
    let ev = mcnode_attest::Evidence::from_bytes(&e.identity().unwrap().evidence).unwrap();
    assert_eq!(NodeId(ev.claims.node_id), node(10));
}

/// The boundary names which check of the operator's policy refused a peer (the host counts
/// refusals by it), and only that: the coarse `Attestation` is left for checks no code names.
#[test]
fn refusals_name_the_failed_policy_check() {
    let w = world(0, 12, 0);
    // Both enclaves share the policy, hence the configuration digest: the Noise prologue
    // matches and the evidence check decides.
    let pair = |policy: PeerPolicy| {
        let start = |n: u8| {
            let mut e = InProcessEnclave::new(core(), [n; 32]);
            e.init(w.init_node_with_policy(n, policy.clone())).unwrap();
            e
        };
        let (mut a, mut b) = (start(1), start(2));
        handshake(&mut a, &mut b, node(1), node(2)).0
    };
    let no_opt_in = PeerPolicy::new(
        vec![TrustAnchor { tee: TeeType::Sim, root_key: root().public() }],
        &default_trusted_measurements(),
        false,
    );
    assert_eq!(
        pair(no_opt_in),
        Err(EnclaveError::Channel(ChannelFailure::AttestSimulatedNotAllowed))
    );
    let other_measurement = PeerPolicy {
        measurements: vec![mcnode_attest::MeasurementRule::Exact(Hash32([9; 32]))],
        ..peer_policy()
    };
    assert_eq!(
        pair(other_measurement),
        Err(EnclaveError::Channel(ChannelFailure::AttestMeasurementNotAllowed))
    );
    assert_eq!(pair(peer_policy()), Ok(()));
}
