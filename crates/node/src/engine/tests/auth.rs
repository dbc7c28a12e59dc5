//! The simulator's authenticator (`sim` feature): the engine's drop rules hold with it too, so
//! forged and mis-signed messages are rejected in simulations as in production.

use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::engine::auth::SimMacAuth;

fn nid(b: u8) -> NodeId {
    NodeId([b; 32])
}

fn table() -> Arc<HashMap<NodeId, [u8; 32]>> {
    Arc::new((1..=3u8).map(|b| (nid(b), [b.wrapping_mul(17); 32])).collect())
}

fn auth(b: u8) -> SimMacAuth {
    match SimMacAuth::new(nid(b), table()) {
        Some(a) => a,
        None => unreachable!("the table holds nodes 1 to 3"),
    }
}

/// Node 1 of a 3-of-3 network of names (not Ed25519 keys) on the test genesis.
fn sim_engine() -> Engine {
    let ids = vec![nid(1), nid(2), nid(3)];
    let q = QuorumSet::new(3, ids.clone());
    let network = ids[1..].iter().map(|i| (*i, q.clone())).collect();
    let cfg = EngineConfig::new("test-chain", key(9), q, network);
    match Engine::with_auth(cfg, Arc::new(auth(1)), genesis(), vec![], t(0)) {
        Ok(e) => e,
        Err(e) => unreachable!("valid config: {e}"),
    }
}

fn st(signer: u8) -> Statement<TxHashSet> {
    let q = QuorumSet::new(3, vec![nid(1), nid(2), nid(3)]);
    Statement { node_id: nid(signer), slot: 1, quorum_set_hash: q.hash(), pledge: nominate(&[9]) }
}

fn deliver(e: &mut Engine, env: &ScpEnvelope) {
    let r = e.handle(t(5), Input::PeerMessage { from: nid(2), bytes: env.to_canonical_bytes() });
    assert_eq!(r, Ok(()));
}

#[test]
fn the_engine_signs_as_its_authenticator_and_accepts_a_peer_mac() {
    let mut e = sim_engine();
    assert_eq!(e.node_id(), nid(1));
    deliver(&mut e, &ScpEnvelope::sign_with(&auth(2), "test-chain", genesis().id, st(2)));
    assert_eq!(e.drops().total(), 0, "{:?}", e.drops());
}

#[test]
fn forged_tampered_and_unknown_signers_are_bad_signatures() {
    let mut e = sim_engine();
    // Node 3's key on a statement that claims node 2.
    deliver(&mut e, &ScpEnvelope::sign_with(&auth(3), "test-chain", genesis().id, st(2)));
    assert_eq!(e.drops().get(DropCause::BadSignature), 1);
    // A bit flipped in the half of the tag that must be zero.
    let mut env = ScpEnvelope::sign_with(&auth(2), "test-chain", genesis().id, st(2));
    if let Some(sig) = env.signature.as_mut() {
        sig.0[63] ^= 1;
    }
    deliver(&mut e, &env);
    assert_eq!(e.drops().get(DropCause::BadSignature), 2);
    // A signer the table does not know.
    let mut env = ScpEnvelope::sign_with(&auth(2), "test-chain", genesis().id, st(2));
    env.statement.node_id = nid(7);
    deliver(&mut e, &env);
    assert_eq!(e.drops().get(DropCause::BadSignature), 3);
    env.signature = None;
    deliver(&mut e, &env);
    assert_eq!(e.drops().get(DropCause::Unsigned), 1);
    assert!(e.latest_statements().is_empty(), "nothing reached SCP");
}

#[test]
fn sim_auth_debug_shows_no_key() {
    let text = format!("{:?}", auth(1));
    assert!(!text.contains("17, 17"), "node 1's key [17; 32] leaked: {text}");
    assert!(text.contains("SimMacAuth"));
}
