//! Client -> enclave handshake cost, with and without evidence verification (same run, so the
//! ratio is meaningful on a shared machine). Target: verified handshake < 2 ms.
//!
//! `cargo bench -p mcnode-enclave --bench handshake`

#![allow(missing_docs, clippy::unwrap_used)]

use divan::{Bencher, black_box};
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Evidence, Expected, Policy, Verifier};
use mcnode_enclave::channel::resolver::SeededResolver;
use mcnode_enclave::channel::{
    CLIENT_PATTERN, ChannelConfig, ClientHandshake, PeerInitiator, PeerResponder, accept_client,
};
use mcnode_enclave::identity::{EnclaveIdentity, IdentityParams};
use mcnode_enclave::measurement::{default_trusted_measurements, release_program};
use mcnode_types::Hash32;

const NOW: u64 = 1_800_000_000;

fn main() {
    divan::main();
}

struct Fixture {
    cfg: ChannelConfig,
    enclave: EnclaveIdentity,
    peer: EnclaveIdentity,
    verifier: Verifier,
}

fn fixture() -> Fixture {
    let root = SimRootKey::from_seed([1; 32]);
    let platform = SimPlatform::new(&root, [2; 32], 0, u64::MAX);
    let cfg = ChannelConfig::new("bench", Hash32([3; 32]));
    let params = |n| IdentityParams {
        chain_id: "bench",
        node_id: mcnode_types::NodeId([0x4e; 32]),
        config_digest: cfg.config_digest,
        nonce: [n; 16],
        now: NOW,
        validity_secs: 86_400,
    };
    let enclave =
        EnclaveIdentity::generate_simulated(&platform, &release_program(), &params(4), [4; 32])
            .unwrap();
    let peer =
        EnclaveIdentity::generate_simulated(&platform, &release_program(), &params(5), [5; 32])
            .unwrap();
    let verifier = Verifier::new(Policy::simulated(root.public(), default_trusted_measurements()));
    Fixture { cfg, enclave, peer, verifier }
}

/// Full NX handshake (both sides) including decoding and verifying the enclave's evidence.
#[divan::bench]
fn client_handshake_verified(b: Bencher) {
    let f = fixture();
    b.bench_local(|| {
        let (c, m1) = ClientHandshake::start(&f.cfg, [7; 32]).unwrap();
        let (_s, m2) = accept_client(&f.enclave, &f.cfg, &m1, [8; 32]).unwrap();
        black_box(c.finish(&m2, &f.verifier, NOW).unwrap())
    });
}

/// The same NX handshake (same pattern, resolver and payload size) straight on `snow`, without
/// evidence decoding or verification: the same-run baseline for the ratio.
#[divan::bench]
fn client_handshake_unverified(b: Bencher) {
    let f = fixture();
    let prologue = b"mcnode-noise baseline prologue of a similar length to the real one";
    let evidence = f.enclave.evidence_bytes().to_vec();
    let build = |seed: u8| {
        let params = CLIENT_PATTERN.parse().unwrap();
        snow::Builder::with_resolver(params, Box::new(SeededResolver::new([seed; 32])))
            .prologue(prologue)
            .unwrap()
    };
    b.bench_local(|| {
        let mut buf = vec![0u8; 65_535];
        let mut payload = vec![0u8; 65_535];
        let mut c = build(7).build_initiator().unwrap();
        let mut s = build(8).local_private_key(&[9; 32]).unwrap().build_responder().unwrap();
        let n = c.write_message(&[], &mut buf).unwrap();
        s.read_message(&buf[..n], &mut payload).unwrap();
        let n = s.write_message(&evidence, &mut buf).unwrap();
        c.read_message(&buf[..n], &mut payload).unwrap();
        black_box((
            c.into_stateless_transport_mode().unwrap(),
            s.into_stateless_transport_mode().unwrap(),
        ))
    });
}

/// Evidence decoding + verification alone.
#[divan::bench]
fn evidence_decode_and_verify(b: Bencher) {
    let f = fixture();
    let bytes = f.enclave.evidence_bytes().to_vec();
    let expected = Expected {
        chain_id: Some("bench".into()),
        config_digest: Some(f.cfg.config_digest),
        noise_static: Some(*f.enclave.noise_public()),
    };
    b.bench_local(|| {
        let ev = Evidence::from_bytes(black_box(&bytes)).unwrap();
        black_box(f.verifier.verify(&ev, &expected, NOW).unwrap())
    });
}

/// Full XX peer handshake, both sides verifying the other's evidence.
#[divan::bench]
fn peer_handshake_verified(b: Bencher) {
    let f = fixture();
    b.bench_local(|| {
        let (i, m1) = PeerInitiator::start(&f.enclave, &f.cfg, [7; 32]).unwrap();
        let (r, m2) = PeerResponder::respond(&f.peer, &f.cfg, &m1, [8; 32]).unwrap();
        let (_si, m3, _) = i.finish(&f.enclave, &m2, &f.verifier, NOW).unwrap();
        black_box(r.finish(&m3, &f.verifier, NOW).unwrap())
    });
}
