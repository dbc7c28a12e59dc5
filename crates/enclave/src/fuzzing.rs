//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.
//!
//! The expensive setup (identity, one established session pair) is built once per process, so
//! the fuzzer spends its time in the decoders and the transport's checks.

use std::sync::{Mutex, OnceLock};

use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Policy, Verifier};
use mcnode_types::{Decode, Encode, Hash32};

use crate::channel::{
    ChannelConfig, ChannelMessage, ClientHandshake, PeerInitiator, PeerResponder, Session,
    accept_client,
};
use crate::identity::{EnclaveIdentity, IdentityParams};
use crate::measurement::{default_trusted_measurements, release_program};

const NOW: u64 = 1_800_000_000;

struct Setup {
    identity: EnclaveIdentity,
    cfg: ChannelConfig,
    verifier: Verifier,
    /// (client end, enclave end) of one established session.
    sessions: Mutex<(Session, Session)>,
}

fn build() -> Option<Setup> {
    let root = SimRootKey::from_seed([1; 32]);
    let platform = SimPlatform::new(&root, [2; 32], 0, u64::MAX);
    let cfg = ChannelConfig::new("fuzz", Hash32([3; 32]));
    let params = IdentityParams {
        chain_id: "fuzz",
        node_id: mcnode_types::NodeId([0x4e; 32]),
        config_digest: cfg.config_digest,
        nonce: [4; 16],
        now: NOW,
        validity_secs: 3600,
    };
    let identity =
        EnclaveIdentity::generate_simulated(&platform, &release_program(), &params, [5; 32])
            .ok()?;
    let verifier = Verifier::new(Policy::simulated(root.public(), default_trusted_measurements()));
    let (client, msg1) = ClientHandshake::start(&cfg, [6; 32]).ok()?;
    let (enclave_end, msg2) = accept_client(&identity, &cfg, &msg1, [7; 32]).ok()?;
    let client_end = client.finish_unverified(&msg2).ok()?;
    Some(Setup { identity, cfg, verifier, sessions: Mutex::new((client_end, enclave_end)) })
}

fn setup() -> Option<&'static Setup> {
    static SETUP: OnceLock<Option<Setup>> = OnceLock::new();
    SETUP.get_or_init(build).as_ref()
}

/// Decodes arbitrary bytes as a transport message (must re-encode identically) and feeds them,
/// as decoded and re-addressed to the live session, to both ends of an established session:
/// nothing may panic, and nothing the session did not produce may open.
pub fn fuzz_channel_message(data: &[u8]) {
    let Some(s) = setup() else { return };
    let Ok(mut guard) = s.sessions.lock() else { return };
    let (client_end, enclave_end) = &mut *guard;
    if let Ok(m) = ChannelMessage::from_canonical_bytes(data) {
        assert_eq!(m.to_canonical_bytes(), data, "channel message encoding is not unique");
    }
    assert!(enclave_end.open_bytes(data).is_err(), "an arbitrary input opened");
    assert!(client_end.open_bytes(data).is_err(), "an arbitrary input opened");
    // The same bytes as counter + ciphertext on the live session id: reach the AEAD check.
    if let Some((counter, ciphertext)) = data.split_first_chunk::<8>() {
        for end in [&mut *client_end, &mut *enclave_end] {
            let m = ChannelMessage {
                session: end.id(),
                counter: u64::from_be_bytes(*counter),
                ciphertext: ciphertext.to_vec(),
            };
            assert!(end.open(&m).is_err(), "a forged message opened");
        }
    }
}

/// Feeds arbitrary bytes to every handshake step that reads a remote message.
pub fn fuzz_handshake(data: &[u8]) {
    let Some(s) = setup() else { return };
    let (id, cfg, verifier) = (&s.identity, &s.cfg, &s.verifier);
    let _ = accept_client(id, cfg, data, [7; 32]);
    if let Ok((client, _)) = ClientHandshake::start(cfg, [6; 32]) {
        let _ = client.finish(data, verifier, NOW);
    }
    let _ = PeerResponder::respond(id, cfg, data, [8; 32]);
    if let Ok((init, _)) = PeerInitiator::start(id, cfg, [9; 32]) {
        let _ = init.finish(id, data, verifier, NOW);
    }
    if let Ok((_init, m1)) = PeerInitiator::start(id, cfg, [9; 32])
        && let Ok((resp, _m2)) = PeerResponder::respond(id, cfg, &m1, [8; 32])
    {
        let _ = resp.finish(data, verifier, NOW);
    }
}

pub use crate::call_fuzz::fuzz_enclave_call;
