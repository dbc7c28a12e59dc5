//! Quorum sets learned from peers: statements naming an unknown set wait for it, the set is
//! fetched from the peer that sent them, and only a set that hashes to a requested hash is
//! adopted.

use super::*;

/// Node 0 of 4 (3 of 4) that knows nobody's quorum set: all three peers are to be learned.
fn learner() -> Engine {
    let mut c = config(0, 4, 3);
    c.learn_quorum_sets = c.network.keys().copied().collect();
    c.network.clear();
    match Engine::new(c, genesis(), vec![], t(0)) {
        Ok(e) => e,
        Err(e) => unreachable!("test config is valid: {e}"),
    }
}

/// The quorum set the peers have in these tests: 2 of all 4 (not node 0's 3 of 4, so its
/// hash is unknown to node 0).
fn peer_qset() -> QuorumSet {
    QuorumSet::new(2, (0..4).map(id).collect())
}

/// A statement of node `i` naming [`peer_qset`], signed.
fn from_peer(i: u8, slot: SlotIndex, prev: BlockId, pledge: Pledge<TxHashSet>) -> Vec<u8> {
    let st = Statement { node_id: id(i), slot, quorum_set_hash: peer_qset().hash(), pledge };
    ScpEnvelope::sign(&key(i), "test-chain", prev, st).to_canonical_bytes()
}

fn fetches(actions: &[Action]) -> Vec<(NodeId, Hash32)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::FetchQuorumSet { from, hash } => Some((*from, *hash)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_statement_naming_an_unknown_quorum_set_waits_for_the_set_from_its_sender() {
    let mut e = learner();
    client_tx(&mut e, 0, pooled(7, 128, 100)).unwrap();
    e.drain_actions();
    let g = genesis().id;
    let qset1 = peer_qset();
    msg(&mut e, 1, 2, from_peer(1, 1, g, nominate(&[7])));
    let actions = e.drain_actions();
    // Asked of the peer it came from (node 2 relayed node 1's statement).
    assert_eq!(fetches(&actions), vec![(id(2), qset1.hash())]);
    assert!(e.latest_statements().iter().all(|s| s.node_id != id(1)), "SCP saw it too early");
    assert_eq!(e.quorum_set_of(&id(1)), None);
    assert_eq!(e.drops().get(DropCause::RejectedByScp), 0, "parked, not refused");

    e.handle(t(2), Input::QuorumSet { quorum_set: qset1.clone() }).unwrap();
    assert!(e.latest_statements().iter().any(|s| s.node_id == id(1)), "not delivered");
    assert_eq!(e.quorum_set_of(&id(1)), Some(&qset1));
    assert_eq!(e.quorum_set_by_hash(&qset1.hash()), Some(&qset1));
}

#[test]
fn a_quorum_set_nobody_asked_for_is_refused() {
    let mut e = learner();
    // A set that would let node 1 alone decide for node 0's view of it.
    let forged = QuorumSet::new(1, vec![id(1)]);
    let r = e.handle(t(1), Input::QuorumSet { quorum_set: forged.clone() });
    assert_eq!(r, Err(InputError::UnrequestedQuorumSet { hash: forged.hash() }));
    assert_eq!(e.quorum_set_by_hash(&forged.hash()), None);

    // Asked for node 1's real set; another set (another hash) is still refused.
    let g = genesis().id;
    msg(&mut e, 2, 1, from_peer(1, 1, g, nominate(&[7])));
    let r = e.handle(t(3), Input::QuorumSet { quorum_set: forged.clone() });
    assert_eq!(r, Err(InputError::UnrequestedQuorumSet { hash: forged.hash() }));
    assert_eq!(e.quorum_set_of(&id(1)), None);
}

#[test]
fn the_fetch_is_asked_again_only_after_the_retry_period() {
    let mut e = learner();
    let g = genesis().id;
    let h = peer_qset().hash();
    msg(&mut e, 1, 1, from_peer(1, 1, g, nominate(&[7])));
    assert_eq!(fetches(&e.drain_actions()), vec![(id(1), h)]);
    // Another statement naming the same set at once: no second request.
    msg(&mut e, 2, 1, from_peer(1, 1, g, nominate(&[7, 8])));
    assert!(fetches(&e.drain_actions()).is_empty());
    // After fetch_retry (500 ms) without an answer: asked again, of the peer that sent it.
    msg(&mut e, 600, 3, from_peer(1, 1, g, nominate(&[7, 8, 9])));
    assert_eq!(fetches(&e.drain_actions()), vec![(id(3), h)]);
}

#[test]
fn learned_quorum_sets_feed_the_catch_up_rule() {
    let mut e = learner();
    // Peers 1, 2 and 3 externalized slot 5: v-blocking for node 0, but without their sets
    // no quorum among them is known, so node 0 does not call itself behind.
    for p in 1..4u8 {
        msg(&mut e, 10, p, from_peer(p, 5, BlockId(Hash32([5; 32])), externalize(&[50])));
    }
    let a = e.drain_actions();
    assert!(!a.iter().any(|a| matches!(a, Action::SetTimer { timer: EngineTimer::CatchUp, .. })));
    e.handle(t(20), Input::QuorumSet { quorum_set: peer_qset() }).unwrap();
    assert!((1..4).all(|i| e.quorum_set_of(&id(i)) == Some(&peer_qset())));
    let a = e.drain_actions();
    let deadline = t(20 + 2000);
    assert!(a.contains(&Action::SetTimer { timer: EngineTimer::CatchUp, deadline }), "{a:?}");
    e.handle(deadline, Input::Timer(EngineTimer::CatchUp)).unwrap();
    let a = e.drain_actions();
    assert!(a.iter().any(|a| matches!(a, Action::FetchBlocks { .. })), "{a:?}");
}
