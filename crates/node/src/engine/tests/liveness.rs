//! Re-broadcast, (re)connect, answering lagging peers, restart.

use super::*;

#[test]
fn a_stuck_slot_rebroadcasts_and_a_reconnecting_peer_gets_the_latest() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    e.handle(t(1000), Input::Timer(EngineTimer::Nominate)).unwrap();
    let first = broadcasts(&e.drain_actions());
    assert_eq!(first.len(), 1);
    e.handle(t(1500), Input::Timer(EngineTimer::Rebroadcast)).unwrap();
    let again = broadcasts(&e.drain_actions());
    assert_eq!(again, first, "the stuck slot's statement goes out again");
    e.handle(t(2000), Input::Timer(EngineTimer::Rebroadcast)).unwrap();
    assert_eq!(broadcasts(&e.drain_actions()), first, "and keeps going while stuck");
    assert_eq!(e.latest_own_messages(), vec![first[0].0.clone()], "GetLatestMsg answer");
    e.handle(t(2001), Input::PeerConnected(id(3))).unwrap();
    let sent: Vec<Action> = e.drain_actions();
    assert!(sent.contains(&Action::Send { to: id(3), msg: first[0].0.clone() }), "{sent:?}");
}

#[test]
fn restart_restores_the_persisted_statements() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    e.handle(t(1000), Input::Timer(EngineTimer::Nominate)).unwrap();
    let persisted = e
        .drain_actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::PersistStatements { statements, .. } => Some(statements),
            _ => None,
        })
        .next_back()
        .unwrap_or_default();
    assert_eq!(persisted.len(), 1);
    let mut r = Engine::new(config(0, 4, 3), genesis(), persisted.clone(), t(0)).unwrap();
    assert_eq!(r.latest_statements(), persisted);
    r.drain_actions();
    r.handle(t(1), Input::PeerConnected(id(2))).unwrap();
    let sent = r.drain_actions();
    assert!(sent.iter().any(|a| matches!(a, Action::Send { to, .. } if *to == id(2))), "{sent:?}");
    // Statements of other slots are not restored.
    let stale = Engine::new(
        config(0, 4, 3),
        Tip { index: 1, id: BlockId(Hash32([1; 32])) },
        persisted,
        t(0),
    )
    .unwrap();
    assert!(stale.latest_statements().is_empty());
}

#[test]
fn a_peer_on_a_closed_slot_gets_this_nodes_externalize() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    for p in 1..3 {
        msg(&mut e, 1, p, signed(p, 1, genesis().id, externalize(&[1])));
    }
    let a = e.drain_actions();
    assert!(a.iter().any(|x| matches!(x, Action::FormBlock { slot: 1, .. })), "{a:?}");
    let own_ext: Vec<Wire> = broadcasts(&a)
        .into_iter()
        .filter(|(w, ex)| {
            ex.is_empty() && matches!(decode(w).statement.pledge, Pledge::Externalize(_))
        })
        .map(|(w, _)| w)
        .collect();
    assert_eq!(own_ext.len(), 1);
    e.handle(t(2), Input::BlockAppended { block: next_block(&[1]) }).unwrap();
    e.drain_actions();
    // Nodes 1 and 2 (with this node, a quorum) closed slot 1; node 3 missed it and still
    // nominates in it.
    msg(&mut e, 3, 3, signed(3, 1, genesis().id, nominate(&[1])));
    assert_eq!(e.drops().get(DropCause::StaleSlot), 1);
    assert_eq!(e.drain_actions(), vec![Action::Send { to: id(3), msg: own_ext[0].clone() }]);
}

#[test]
fn late_copies_from_peers_already_further_on_get_no_answer() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    for p in 1..4 {
        msg(&mut e, 1, p, signed(p, 1, genesis().id, externalize(&[1])));
    }
    e.handle(t(2), Input::BlockAppended { block: next_block(&[1]) }).unwrap();
    e.drain_actions();
    // Node 3 externalized slot 1; its earlier nomination, relayed late, is just stale.
    msg(&mut e, 3, 2, signed(3, 1, genesis().id, nominate(&[1])));
    assert_eq!(e.drops().get(DropCause::StaleSlot), 1);
    assert!(e.drain_actions().is_empty());
}

#[test]
fn a_node_that_crashed_between_externalize_and_append_forms_the_block_after_restart() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    for p in 1..3 {
        msg(&mut e, 1, p, signed(p, 1, genesis().id, externalize(&[1])));
    }
    let persisted = e
        .drain_actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::PersistStatements { statements, .. } => Some(statements),
            _ => None,
        })
        .next_back()
        .unwrap_or_default();
    assert!(persisted.iter().any(|s| matches!(s.pledge, Pledge::Externalize(_))));
    // Crash before the block was appended; the body died with the pool.
    let mut r = Engine::new(config(0, 4, 3), genesis(), persisted, t(10)).unwrap();
    r.handle(t(11), Input::PeerConnected(id(2))).unwrap();
    r.handle(t(1000), Input::Timer(EngineTimer::FetchRetry)).unwrap();
    let a = r.drain_actions();
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::FetchTxs { hashes, .. } if hashes == &[Hash32([1; 32])])),
        "{a:?}"
    );
    r.handle(t(1001), Input::TxsFetched { from: id(2), txs: vec![pooled(1, 128, 100)] }).unwrap();
    let a = r.drain_actions();
    assert!(a.iter().any(|x| matches!(x, Action::FormBlock { slot: 1, .. })), "{a:?}");
}
