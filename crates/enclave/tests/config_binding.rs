//! The configuration digest in an enclave's evidence is the digest of the configuration the
//! enclave enforces (chain id, minimum fees, fee recipient), so a host cannot redirect block
//! fees to itself and still present evidence that correctly configured peers and clients accept.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use mcnode_attest::sim::SimRootKey;
use mcnode_attest::{Evidence, Expected, Failure, MeasurementRule};
use mcnode_enclave::call::{CONFIG_DIGEST_DOMAIN, config_digest};
use mcnode_enclave::channel::{ChannelConfig, ChannelError, ClientHandshake, accept_client};
use mcnode_enclave::host_types::FeeEntry;
use mcnode_enclave::identity::{EnclaveIdentity, IdentityParams};
use mcnode_enclave::measurement::release_program;
use mcnode_enclave::refusal::ChannelFailure;
use mcnode_enclave::{
    BoundaryError, Enclave, EnclaveError, InProcessEnclave, InitParams, PeerPolicy,
};
use mcnode_tx::TokenId;
use mcnode_types::{Decode, Encode, Hash32, Reader};

fn refused(r: Result<impl std::fmt::Debug, BoundaryError>) -> EnclaveError {
    match r {
        Err(BoundaryError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// `w.init_params` with the fees paid to `w.recipient` instead, digest recomputed.
fn other_fee_recipient(w: &World) -> InitParams {
    let mut p = w.init_params(None);
    p.fee_recipient = w.recipient.default_address();
    p.config_digest = config_digest(&p.chain_id, &p.fees, &p.fee_recipient, &p.peer_policy);
    p
}

#[test]
fn different_fee_recipients_attest_different_digests_and_are_refused() {
    let w = world(0, 12, 0);
    let (pa, pb) = (w.init_params(None), other_fee_recipient(&w));
    assert_ne!(pa.config_digest, pb.config_digest);
    let mut a = InProcessEnclave::new(core(), [1; 32]);
    let mut b = InProcessEnclave::new(core(), [2; 32]);
    a.init(pa.clone()).unwrap();
    b.init(pb.clone()).unwrap();
    let (ida, idb) = (a.identity().unwrap(), b.identity().unwrap());
    let eva = Evidence::from_bytes(&ida.evidence).unwrap();
    let evb = Evidence::from_bytes(&idb.evidence).unwrap();
    assert_eq!(eva.claims.chain_id, evb.claims.chain_id);
    assert_eq!(eva.claims.config_digest, pa.config_digest);
    assert_eq!(evb.claims.config_digest, pb.config_digest);

    // Whatever digest `b`'s host claims, `b` never presents evidence carrying `a`'s digest.
    for claimed in [pa.config_digest, pb.config_digest, Hash32([3; 32])] {
        let mut e = InProcessEnclave::new(core(), [3; 32]);
        if e.init(InitParams { config_digest: claimed, ..pb.clone() }).is_ok() {
            let ev = Evidence::from_bytes(&e.identity().unwrap().evidence).unwrap();
            assert_eq!(ev.claims.config_digest, pb.config_digest);
        }
    }

    // A client configured like `a` accepts `a`'s evidence and refuses `b`'s.
    let verifier = client_verifier(root().public());
    let expect = |noise| Expected {
        chain_id: Some(CHAIN.to_owned()),
        config_digest: Some(pa.config_digest),
        noise_static: Some(noise),
    };
    verifier.verify(&eva, &expect(ida.noise_public), NOW).unwrap();
    let fails = verifier.verify(&evb, &expect(idb.noise_public), NOW).unwrap_err().failures;
    assert!(matches!(fails[..], [Failure::ConfigDigestMismatch { .. }]), "{fails:?}");

    // ... and cannot open a channel to `b`. The digest is also in the Noise prologue, so the
    // channel fails in the Noise layer, before the evidence is read: that is the reason named.
    let cfg = w.channel_config();
    assert_eq!(cfg.config_digest, pa.config_digest);
    let (hs, msg1) = ClientHandshake::start(&cfg, [5; 32]).unwrap();
    let (_, msg2) = b.client_accept(msg1).unwrap();
    assert!(matches!(hs.finish(&msg2, &verifier, NOW), Err(ChannelError::Noise(_))));
    let (hs, msg1) = ClientHandshake::start(&cfg, [6; 32]).unwrap();
    let (_, msg2) = a.client_accept(msg1).unwrap();
    hs.finish(&msg2, &verifier, NOW).unwrap();

    // Peers with different fee recipients refuse each other (in the Noise layer, as above).
    let (na, nb) = (ida.block_signer, idb.block_signer);
    let m1 = a.peer_init(nb).unwrap();
    let m2 = b.peer_accept(na, m1).unwrap();
    assert_eq!(refused(a.peer_connect(nb, m2, NOW)), EnclaveError::Channel(ChannelFailure::Noise));
}

#[test]
fn evidence_for_another_configuration_is_refused_even_when_the_prologue_matches() {
    // The evidence check itself (not the prologue): `b`'s genuine evidence, carrying the
    // digest of a configuration that pays fees elsewhere, presented on a channel whose
    // prologue is `a`'s configuration. Only the evidence's digest can refuse it.
    let w = world(0, 12, 0);
    let pa = w.init_params(None);
    let pb = other_fee_recipient(&w);
    let params = |digest| IdentityParams {
        chain_id: CHAIN,
        node_id: mcnode_types::NodeId([0x4e; 32]),
        config_digest: digest,
        nonce: [1; 16],
        now: NOW,
        validity_secs: 3600,
    };
    let program = release_program();
    let b_identity = EnclaveIdentity::generate_simulated(
        &platform(),
        &program,
        &params(pb.config_digest),
        [7; 32],
    )
    .unwrap();
    let cfg_a = ChannelConfig::new(CHAIN, pa.config_digest);
    let (hs, msg1) = ClientHandshake::start(&cfg_a, [5; 32]).unwrap();
    let (_, msg2) = accept_client(&b_identity, &cfg_a, &msg1, [6; 32]).unwrap();
    match hs.finish(&msg2, &client_verifier(root().public()), NOW) {
        Err(ChannelError::Attestation(r)) => assert_eq!(
            r.failures,
            vec![Failure::ConfigDigestMismatch {
                claimed: pb.config_digest,
                expected: pa.config_digest
            }]
        ),
        other => panic!("expected the configuration digest refusal, got {other:?}"),
    }
    // Control: the same channel with evidence for `a`'s configuration is accepted.
    let a_identity = EnclaveIdentity::generate_simulated(
        &platform(),
        &program,
        &params(pa.config_digest),
        [8; 32],
    )
    .unwrap();
    let (hs, msg1) = ClientHandshake::start(&cfg_a, [9; 32]).unwrap();
    let (_, msg2) = accept_client(&a_identity, &cfg_a, &msg1, [10; 32]).unwrap();
    hs.finish(&msg2, &client_verifier(root().public()), NOW).unwrap();
}

#[test]
fn init_with_a_digest_not_of_its_configuration_is_refused() {
    let w = world(0, 12, 0);
    let honest = w.init_params(None);
    // The attack: the real configuration's digest, the host's own fee recipient.
    let redirect = InitParams { config_digest: honest.config_digest, ..other_fee_recipient(&w) };
    let arbitrary = InitParams { config_digest: Hash32([3; 32]), ..honest.clone() };
    let cheaper = {
        let mut p = honest.clone();
        p.fees[0].minimum_fee = 1;
        p
    };
    let mut e = InProcessEnclave::new(core(), [1; 32]);
    for bad in [redirect, arbitrary, cheaper] {
        assert_eq!(refused(e.init(bad)), EnclaveError::ConfigDigestMismatch);
        assert_eq!(refused(e.identity()), EnclaveError::NotInitialized);
    }
    e.init(honest).unwrap();
    let bytes = EnclaveError::ConfigDigestMismatch.to_canonical_bytes();
    let back = EnclaveError::decode(&mut Reader::new(&bytes)).unwrap();
    assert_eq!(back, EnclaveError::ConfigDigestMismatch);
}

#[test]
fn config_digest_covers_every_block_forming_parameter() {
    let w = world(0, 12, 0);
    let p = w.init_params(None);
    let base = config_digest(&p.chain_id, &p.fees, &p.fee_recipient, &p.peer_policy);
    let mut fees_min = p.fees.clone();
    fees_min[1].minimum_fee = 2;
    let mut fees_token = p.fees.clone();
    fees_token[1].token = TokenId(2);
    let fees_fewer = vec![p.fees[0]];
    let pp = &p.peer_policy;
    let mut other_anchor = pp.clone();
    other_anchor.anchors[0].root_key = SimRootKey::devnet().public();
    let no_sim = PeerPolicy { allow_simulated: false, ..pp.clone() };
    let other_measurement =
        PeerPolicy { measurements: vec![MeasurementRule::Exact(Hash32([4; 32]))], ..pp.clone() };
    let mut fees_more = p.fees.clone();
    fees_more.push(FeeEntry { token: TokenId(7), minimum_fee: 9 });
    let variants = [
        config_digest("other", &p.fees, &p.fee_recipient, pp),
        config_digest(&p.chain_id, &fees_min, &p.fee_recipient, pp),
        config_digest(&p.chain_id, &fees_token, &p.fee_recipient, pp),
        config_digest(&p.chain_id, &fees_fewer, &p.fee_recipient, pp),
        config_digest(&p.chain_id, &fees_more, &p.fee_recipient, pp),
        config_digest(&p.chain_id, &p.fees, &w.recipient.default_address(), pp),
        // The peer policy: another anchor, no simulation, another measurement, none at all.
        config_digest(&p.chain_id, &p.fees, &p.fee_recipient, &other_anchor),
        config_digest(&p.chain_id, &p.fees, &p.fee_recipient, &no_sim),
        config_digest(&p.chain_id, &p.fees, &p.fee_recipient, &other_measurement),
        config_digest(&p.chain_id, &p.fees, &p.fee_recipient, &PeerPolicy::default()),
    ];
    for v in variants {
        assert_ne!(v, base);
    }
    // Domain-separated: not the plain digest of the same bytes under another tag.
    let mut data = Vec::new();
    mcnode_types::encode_bytes(p.chain_id.as_bytes(), &mut data);
    p.fees.encode(&mut data);
    p.fee_recipient.encode(&mut data);
    p.peer_policy.encode(&mut data);
    assert_eq!(Hash32::digest(CONFIG_DIGEST_DOMAIN, &data), base);
    assert_ne!(Hash32::digest(b"mcnode-other", &data), base);
}
