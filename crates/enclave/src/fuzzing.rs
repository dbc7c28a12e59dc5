//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Policy, Verifier};
use mcnode_types::{Decode, Encode, Hash32};

use crate::channel::{
    ChannelConfig, ChannelMessage, ClientHandshake, PeerInitiator, PeerResponder, accept_client,
};
use crate::identity::{EnclaveIdentity, IdentityParams};
use crate::measurement::{default_trusted_measurements, release_program};

const NOW: u64 = 1_800_000_000;

fn setup() -> Option<(EnclaveIdentity, ChannelConfig, Verifier)> {
    let root = SimRootKey::from_seed([1; 32]);
    let platform = SimPlatform::new(&root, [2; 32], 0, u64::MAX);
    let cfg = ChannelConfig::new("fuzz", Hash32([3; 32]));
    let params = IdentityParams {
        chain_id: "fuzz",
        config_digest: cfg.config_digest,
        nonce: [4; 16],
        now: NOW,
        validity_secs: 3600,
    };
    let id = EnclaveIdentity::generate_simulated(&platform, &release_program(), &params, [5; 32])
        .ok()?;
    let verifier = Verifier::new(Policy::simulated(root.public(), default_trusted_measurements()));
    Some((id, cfg, verifier))
}

/// Decodes arbitrary bytes as a transport message (must re-encode identically) and feeds them
/// to both ends of an established session: nothing may panic, and nothing forged may open.
pub fn fuzz_channel_message(data: &[u8]) {
    let Some((id, cfg, _)) = setup() else { return };
    let Ok((client, msg1)) = ClientHandshake::start(&cfg, [6; 32]) else { return };
    let Ok((mut enclave_side, msg2)) = accept_client(&id, &cfg, &msg1, [7; 32]) else { return };
    let Ok(mut client_side) = client.finish_unverified(&msg2) else { return };
    if let Ok(m) = ChannelMessage::from_canonical_bytes(data) {
        assert_eq!(m.to_canonical_bytes(), data, "channel message encoding is not unique");
    }
    let forged_opened =
        enclave_side.open_bytes(data).is_ok() || client_side.open_bytes(data).is_ok();
    assert!(!forged_opened, "an input not produced by the session opened");
}

/// Feeds arbitrary bytes to every handshake step that reads a peer's message.
pub fn fuzz_handshake(data: &[u8]) {
    let Some((id, cfg, verifier)) = setup() else { return };
    let _ = accept_client(&id, &cfg, data, [7; 32]);
    if let Ok((client, _)) = ClientHandshake::start(&cfg, [6; 32]) {
        let _ = client.finish(data, &verifier, NOW);
    }
    let _ = PeerResponder::respond(&id, &cfg, data, [8; 32]);
    if let Ok((init, _)) = PeerInitiator::start(&id, &cfg, [9; 32]) {
        let _ = init.finish(&id, data, &verifier, NOW);
    }
    if let Ok((init, m1)) = PeerInitiator::start(&id, &cfg, [9; 32])
        && let Ok((resp, _m2)) = PeerResponder::respond(&id, &cfg, &m1, [8; 32])
    {
        drop(init);
        let _ = resp.finish(data, &verifier, NOW);
    }
}

pub use crate::call_fuzz::fuzz_enclave_call;
