//! The configuration digest in an enclave's evidence is the digest of the configuration the
//! enclave enforces (chain id, minimum fees, fee recipient), so a host cannot redirect block
//! fees to itself and still present evidence that correctly configured peers and clients accept.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use mcnode_attest::{Evidence, Expected, Failure};
use mcnode_enclave::call::{CONFIG_DIGEST_DOMAIN, config_digest};
use mcnode_enclave::channel::ClientHandshake;
use mcnode_enclave::host_types::FeeEntry;
use mcnode_enclave::{BoundaryError, Enclave, EnclaveError, InProcessEnclave, InitParams};
use mcnode_tx::TokenId;
use mcnode_types::{Decode, Encode, Hash32, NodeId, Reader};

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
    p.config_digest = config_digest(&p.chain_id, &p.fees, &p.fee_recipient);
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

    // ... and cannot open a channel to `b`.
    let cfg = w.channel_config();
    assert_eq!(cfg.config_digest, pa.config_digest);
    let (hs, msg1) = ClientHandshake::start(&cfg, [5; 32]).unwrap();
    let (_, msg2) = b.client_accept(msg1).unwrap();
    assert!(hs.finish(&msg2, &verifier, NOW).is_err());
    let (hs, msg1) = ClientHandshake::start(&cfg, [6; 32]).unwrap();
    let (_, msg2) = a.client_accept(msg1).unwrap();
    hs.finish(&msg2, &verifier, NOW).unwrap();

    // Peers with different fee recipients refuse each other.
    let (na, nb) = (NodeId([0xa; 32]), NodeId([0xb; 32]));
    let m1 = a.peer_init(nb).unwrap();
    let m2 = b.peer_accept(na, m1).unwrap();
    assert!(matches!(refused(a.peer_connect(nb, m2, NOW)), EnclaveError::Channel(_)));
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
    let base = config_digest(&p.chain_id, &p.fees, &p.fee_recipient);
    let mut fees_min = p.fees.clone();
    fees_min[1].minimum_fee = 2;
    let mut fees_token = p.fees.clone();
    fees_token[1].token = TokenId(2);
    let fees_fewer = vec![p.fees[0]];
    let mut fees_more = p.fees.clone();
    fees_more.push(FeeEntry { token: TokenId(7), minimum_fee: 9 });
    let variants = [
        config_digest("other", &p.fees, &p.fee_recipient),
        config_digest(&p.chain_id, &fees_min, &p.fee_recipient),
        config_digest(&p.chain_id, &fees_token, &p.fee_recipient),
        config_digest(&p.chain_id, &fees_fewer, &p.fee_recipient),
        config_digest(&p.chain_id, &fees_more, &p.fee_recipient),
        config_digest(&p.chain_id, &p.fees, &w.recipient.default_address()),
    ];
    for v in variants {
        assert_ne!(v, base);
    }
    // Domain-separated: not the plain digest of the same bytes under another tag.
    let mut data = Vec::new();
    mcnode_types::encode_bytes(p.chain_id.as_bytes(), &mut data);
    p.fees.encode(&mut data);
    p.fee_recipient.encode(&mut data);
    assert_eq!(Hash32::digest(CONFIG_DIGEST_DOMAIN, &data), base);
    assert_ne!(Hash32::digest(b"mcnode-other", &data), base);
}
