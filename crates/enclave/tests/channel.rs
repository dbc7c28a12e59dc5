//! Channel tests: each refusal test names the check it depends on; removing that check makes
//! the test fail (the handshake or message would be accepted).

#![allow(clippy::unwrap_used, clippy::panic)] // a test crate: helpers outside #[test] fns

use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Failure, Policy, Verifier};
use mcnode_enclave::channel::{
    ChannelConfig, ChannelError, ClientHandshake, PeerInitiator, PeerResponder, SessionLimits,
    Sessions, accept_client,
};
use mcnode_enclave::identity::{EnclaveIdentity, IdentityParams};
use mcnode_enclave::measurement::{default_trusted_measurements, release_program};
use mcnode_types::{Encode, Hash32, NodeId};
use proptest::prelude::*;
use zeroize::Zeroizing;

const NOW: u64 = 1_800_000_000;
const CHAIN: &str = "local";

struct World {
    root: SimRootKey,
    platform: SimPlatform,
    cfg: ChannelConfig,
}

fn world() -> World {
    let root = SimRootKey::from_seed([1; 32]);
    let platform = SimPlatform::new(&root, [2; 32], 0, u64::MAX);
    World { root, platform, cfg: ChannelConfig::new(CHAIN, Hash32([3; 32])) }
}

impl World {
    fn enclave(&self, seed: u8) -> EnclaveIdentity {
        self.enclave_for(seed, CHAIN)
    }
    fn enclave_for(&self, seed: u8, chain: &str) -> EnclaveIdentity {
        let params = IdentityParams {
            chain_id: chain,
            node_id: NodeId([seed; 32]),
            config_digest: self.cfg.config_digest,
            nonce: [seed; 16],
            now: NOW,
            validity_secs: 86_400,
        };
        EnclaveIdentity::generate_simulated(&self.platform, &release_program(), &params, [seed; 32])
            .unwrap()
    }
    fn verifier(&self) -> Verifier {
        Verifier::new(Policy::simulated(self.root.public(), default_trusted_measurements()))
    }
    /// An attacker holding `victim`'s genuine evidence but its own Noise static key.
    fn impostor(&self, victim: &EnclaveIdentity) -> EnclaveIdentity {
        let other = Zeroizing::new([0x5a; 32]);
        let key = mcnode_crypto::SigningIdentity::from_seed(&[0x5b; 32]);
        EnclaveIdentity::from_parts(other, key, victim.evidence().clone()).unwrap()
    }
    fn sessions(&self, id: EnclaveIdentity, limits: SessionLimits) -> Sessions {
        Sessions::new(id, self.cfg.clone(), self.verifier(), limits)
    }
}

/// The node id of the enclave behind `s`: its block-signing key.
/// The node id `s`'s evidence names (what peers name it by).
fn signer(s: &Sessions) -> NodeId {
    NodeId(s.identity().evidence().claims.node_id)
}

fn refusal(e: ChannelError) -> Vec<Failure> {
    match e {
        ChannelError::Attestation(r) => r.failures,
        other => panic!("expected an attestation refusal, got {other:?}"),
    }
}

#[test]
fn client_handshake_opens_a_verified_session() {
    let w = world();
    let enclave = w.enclave(7);
    let (client, msg1) = ClientHandshake::start(&w.cfg, [10; 32]).unwrap();
    let (mut server, msg2) = accept_client(&enclave, &w.cfg, &msg1, [11; 32]).unwrap();
    let (mut session, claims) = client.finish(&msg2, &w.verifier(), NOW).unwrap();
    assert_eq!(session.id(), server.id(), "both ends derive the same handshake hash");
    assert_eq!(claims.claims.noise_static, *enclave.noise_public());
    let m = session.seal(b"tx").unwrap();
    assert_eq!(server.open(&m).unwrap(), b"tx");
    let r = server.seal(b"ok").unwrap();
    assert_eq!(session.open(&r).unwrap(), b"ok");
}

#[test]
fn client_refuses_genuine_evidence_with_another_static_key() {
    let w = world();
    let impostor = w.impostor(&w.enclave(7));
    let (client, msg1) = ClientHandshake::start(&w.cfg, [10; 32]).unwrap();
    let (_, msg2) = accept_client(&impostor, &w.cfg, &msg1, [11; 32]).unwrap();
    let fails = refusal(client.finish(&msg2, &w.verifier(), NOW).unwrap_err());
    assert!(matches!(fails[..], [Failure::NoiseKeyMismatch { .. }]), "{fails:?}");
}

#[test]
fn peer_initiator_refuses_replayed_evidence_from_responder() {
    let w = world();
    let honest = w.enclave(7);
    let impostor = w.impostor(&w.enclave(8));
    let (init, msg1) = PeerInitiator::start(&honest, &w.cfg, [10; 32]).unwrap();
    let (_resp, msg2) = PeerResponder::respond(&impostor, &w.cfg, &msg1, [11; 32]).unwrap();
    let fails = refusal(init.finish(&honest, &msg2, &w.verifier(), NOW).unwrap_err());
    assert!(matches!(fails[..], [Failure::NoiseKeyMismatch { .. }]), "{fails:?}");
}

#[test]
fn peer_responder_refuses_replayed_evidence_from_initiator() {
    let w = world();
    let honest = w.enclave(7);
    let impostor = w.impostor(&w.enclave(8));
    let (init, msg1) = PeerInitiator::start(&impostor, &w.cfg, [10; 32]).unwrap();
    let (resp, msg2) = PeerResponder::respond(&honest, &w.cfg, &msg1, [11; 32]).unwrap();
    // The impostor cannot verify as an honest initiator would; it skips straight to message 3.
    let (_, msg3, _) = init.finish(&impostor, &msg2, &w.verifier(), NOW).unwrap();
    let fails = refusal(resp.finish(&msg3, &w.verifier(), NOW).unwrap_err());
    assert!(matches!(fails[..], [Failure::NoiseKeyMismatch { .. }]), "{fails:?}");
}

#[test]
fn peers_handshake_both_ways_through_session_tables() {
    let w = world();
    let mut a = w.sessions(w.enclave(7), SessionLimits::default());
    let mut b = w.sessions(w.enclave(8), SessionLimits::default());
    let (a_id, b_id) = (signer(&a), signer(&b));
    let m1 = a.peer_connect(b_id, [1; 32]).unwrap();
    let m2 = b.peer_accept(a_id, &m1, [2; 32]).unwrap();
    assert_eq!(b.counts(), (0, 0, 1));
    let (sa, m3, claims_b) = a.peer_connected(b_id, &m2, NOW).unwrap();
    let (sb, claims_a) = b.peer_accepted(a_id, &m3, NOW).unwrap();
    assert_eq!(sa, sb);
    assert_eq!(claims_b.claims.noise_static, *b.identity().noise_public());
    assert_eq!(claims_a.claims.noise_static, *a.identity().noise_public());
    assert_eq!((a.counts(), b.counts()), ((0, 1, 0), (0, 1, 0)));
    let m = a.peer_seal(sa, b"tx for peer").unwrap();
    assert_eq!(b.peer_open(&m).unwrap(), b"tx for peer");
    assert!(matches!(
        b.peer_accepted(a_id, &m3, NOW),
        Err(ChannelError::NoPendingHandshake { .. })
    ));
    assert!(b.close_peer(sb));
    assert!(matches!(b.peer_open(&m), Err(ChannelError::UnknownSession { .. })));
}

#[test]
fn prologue_binds_version_chain_and_configuration() {
    let w = world();
    let enclave = w.enclave(7);
    let variants = [
        ChannelConfig { protocol_version: w.cfg.protocol_version + 1, ..w.cfg.clone() },
        ChannelConfig { chain_id: "main".into(), ..w.cfg.clone() },
        ChannelConfig { config_digest: Hash32([9; 32]), ..w.cfg.clone() },
    ];
    for other in variants {
        let (client, msg1) = ClientHandshake::start(&other, [10; 32]).unwrap();
        let (_, msg2) = accept_client(&enclave, &w.cfg, &msg1, [11; 32]).unwrap();
        let err = client.finish(&msg2, &w.verifier(), NOW).unwrap_err();
        assert!(matches!(err, ChannelError::Noise(_)), "{other:?}: {err:?}");
        let (init, m1) = PeerInitiator::start(&enclave, &other, [10; 32]).unwrap();
        let (_, m2) = PeerResponder::respond(&w.enclave(8), &w.cfg, &m1, [11; 32]).unwrap();
        assert!(matches!(
            init.finish(&enclave, &m2, &w.verifier(), NOW),
            Err(ChannelError::Noise(_))
        ));
    }
}

#[test]
fn evidence_for_another_chain_refused_even_with_matching_prologue() {
    let w = world();
    let foreign = w.enclave_for(7, "other-chain");
    let (client, msg1) = ClientHandshake::start(&w.cfg, [10; 32]).unwrap();
    let (_, msg2) = accept_client(&foreign, &w.cfg, &msg1, [11; 32]).unwrap();
    let fails = refusal(client.finish(&msg2, &w.verifier(), NOW).unwrap_err());
    assert!(matches!(fails[..], [Failure::ChainIdMismatch { .. }]), "{fails:?}");
}

#[test]
fn simulated_evidence_refused_without_opt_in() {
    let w = world();
    let mut policy = Policy::simulated(w.root.public(), default_trusted_measurements());
    policy.allow_simulated = false;
    let (client, msg1) = ClientHandshake::start(&w.cfg, [10; 32]).unwrap();
    let (_, msg2) = accept_client(&w.enclave(7), &w.cfg, &msg1, [11; 32]).unwrap();
    let fails = refusal(client.finish(&msg2, &Verifier::new(policy), NOW).unwrap_err());
    assert_eq!(fails, vec![Failure::SimulationNotAllowed]);
}

fn client_pair(w: &World) -> (mcnode_enclave::channel::Session, mcnode_enclave::channel::Session) {
    let (client, msg1) = ClientHandshake::start(&w.cfg, [10; 32]).unwrap();
    let (server, msg2) = accept_client(&w.enclave(7), &w.cfg, &msg1, [11; 32]).unwrap();
    (client.finish(&msg2, &w.verifier(), NOW).unwrap().0, server)
}

#[test]
fn forged_message_refused_and_session_survives() {
    let w = world();
    let (mut c, mut s) = client_pair(&w);
    let m = c.seal(b"pay 5").unwrap();
    for i in 0..m.ciphertext.len() {
        let mut f = m.clone();
        f.ciphertext[i] ^= 1;
        assert!(matches!(s.open(&f), Err(ChannelError::Forged)), "flipped byte {i}");
    }
    let mut f = m.clone();
    f.counter += 1; // same ciphertext under another nonce
    assert!(matches!(s.open(&f), Err(ChannelError::Forged)));
    let mut f = m.clone();
    f.session = mcnode_enclave::channel::SessionId(Hash32([1; 32]));
    assert!(matches!(s.open(&f), Err(ChannelError::WrongSession { .. })));
    assert_eq!(s.open(&m).unwrap(), b"pay 5", "refusals must not change the session");
}

#[test]
fn replayed_and_reordered_messages_refused() {
    let w = world();
    let (mut c, mut s) = client_pair(&w);
    let m0 = c.seal(b"a").unwrap();
    let m1 = c.seal(b"b").unwrap();
    let m2 = c.seal(b"c").unwrap();
    assert_eq!(s.open_bytes(&m0.to_canonical_bytes()).unwrap(), b"a");
    assert!(matches!(s.open(&m0), Err(ChannelError::Replay { counter: 0, highest: 0 })));
    assert_eq!(s.open(&m2).unwrap(), b"c", "a gap (lost message) is allowed");
    assert!(matches!(s.open(&m1), Err(ChannelError::Replay { counter: 1, highest: 2 })));
}

#[test]
fn client_table_evicts_the_least_recently_used_session() {
    let w = world();
    let limits = SessionLimits { max_clients: 2, max_peers: 1, max_pending: 2 };
    let mut t = w.sessions(w.enclave(7), limits);
    let open = |t: &mut Sessions, seed: u8| {
        let (client, msg1) = ClientHandshake::start(&w.cfg, [seed; 32]).unwrap();
        let (id, msg2) = t.accept_client(&msg1, [seed.wrapping_add(100); 32]).unwrap();
        let (session, _) = client.finish(&msg2, &w.verifier(), NOW).unwrap();
        assert_eq!(session.id(), id);
        session
    };
    let mut c1 = open(&mut t, 1);
    let mut c2 = open(&mut t, 2);
    // Use c1 so that c2 becomes the oldest.
    assert_eq!(t.client_open(&c1.seal(b"x").unwrap()).unwrap(), b"x");
    let mut c3 = open(&mut t, 3);
    assert_eq!(t.counts().0, 2);
    assert_eq!(t.evictions(), 1);
    assert!(matches!(
        t.client_open(&c2.seal(b"y").unwrap()),
        Err(ChannelError::UnknownSession { .. })
    ));
    assert!(t.client_open(&c1.seal(b"z").unwrap()).is_ok());
    assert!(t.client_open(&c3.seal(b"w").unwrap()).is_ok());
    assert!(t.close_client(c3.id()));
    assert!(!t.close_client(c3.id()));
}

#[test]
fn pending_and_peer_tables_are_bounded() {
    let w = world();
    let limits = SessionLimits { max_clients: 2, max_peers: 1, max_pending: 2 };
    let mut a = w.sessions(w.enclave(7), limits);
    let a_id = signer(&a);
    let mut bs: Vec<Sessions> =
        (8..=10u8).map(|i| w.sessions(w.enclave(i), SessionLimits::default())).collect();
    let peers: Vec<NodeId> = bs.iter().map(signer).collect();
    let firsts: Vec<Vec<u8>> =
        peers.iter().enumerate().map(|(i, p)| a.peer_connect(*p, [i as u8; 32]).unwrap()).collect();
    assert_eq!(a.counts().2, 2, "pending handshakes bounded");
    // The oldest pending handshake (peer 1) was evicted.
    let m2 = bs[0].peer_accept(a_id, &firsts[0], [50; 32]).unwrap();
    assert!(matches!(
        a.peer_connected(peers[0], &m2, NOW),
        Err(ChannelError::NoPendingHandshake { .. })
    ));
    // Peers 2 and 3 complete; only one peer session is kept.
    for (i, p) in peers.iter().enumerate().skip(1) {
        let m2 = bs[i].peer_accept(a_id, &firsts[i], [60 + i as u8; 32]).unwrap();
        let (_, m3, _) = a.peer_connected(*p, &m2, NOW).unwrap();
        bs[i].peer_accepted(a_id, &m3, NOW).unwrap();
    }
    assert_eq!(a.counts(), (0, 1, 0));
    // A message 3 for a peer we initiated to is the wrong role.
    let b = &mut bs[0];
    let m1 = b.peer_connect(a_id, [70; 32]).unwrap();
    let _ = a.peer_accept(NodeId([0x77; 32]), &m1, [71; 32]).unwrap();
    assert!(matches!(
        a.peer_connected(NodeId([0x77; 32]), &[0; 10], NOW),
        Err(ChannelError::WrongRole { .. })
    ));
}

#[test]
fn two_enclaves_dialling_each_other_at_once_both_connect() {
    let w = world();
    let mut a = w.sessions(w.enclave(7), SessionLimits::default());
    let mut b = w.sessions(w.enclave(8), SessionLimits::default());
    let (a_id, b_id) = (signer(&a), signer(&b));
    // Both start; each then answers the other's message 1 before its own message 2 arrives.
    let a1 = a.peer_connect(b_id, [1; 32]).unwrap();
    let b1 = b.peer_connect(a_id, [2; 32]).unwrap();
    let b2 = b.peer_accept(a_id, &a1, [3; 32]).unwrap();
    let a2 = a.peer_accept(b_id, &b1, [4; 32]).unwrap();
    assert_eq!(a.counts().2, 2, "one handshake each way is pending on a");
    // The handshakes a started and answered both complete (one table per role: answering b
    // did not replace the handshake a started with b).
    let (_, a3, _) = a.peer_connected(b_id, &b2, NOW).unwrap();
    let (_, b3, _) = b.peer_connected(a_id, &a2, NOW).unwrap();
    b.peer_accepted(a_id, &a3, NOW).unwrap();
    a.peer_accepted(b_id, &b3, NOW).unwrap();
    assert_eq!(a.counts(), (0, 2, 0));
    assert_eq!(b.counts(), (0, 2, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn fuzz_entry_points_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        mcnode_enclave::fuzzing::fuzz_channel_message(&b);
        mcnode_enclave::fuzzing::fuzz_handshake(&b);
    }
}
