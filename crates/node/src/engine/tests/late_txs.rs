//! Transactions whose ledger check raced a block append (the runtime checks key images against
//! the ledger, then waits for the enclave, while the engine appends a block spending them): the
//! engine refuses them, so no node pools a transaction that can never be included and nominates
//! values its peers cannot accept (the devnet stall at slot 3).

use super::*;

/// Block 1 spends key image 1; `pooled(1)` (key image 1) was pending and included.
fn engine_after_block_spending_1() -> Engine {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    e.handle(t(1), Input::BlockAppended { block: next_block(&[1]) }).unwrap();
    assert!(e.pool().is_empty());
    e.drain_actions();
    e
}

#[test]
fn a_late_copy_of_an_included_tx_or_a_twin_of_it_is_refused_and_never_nominated() {
    let mut e = engine_after_block_spending_1();
    // The relayed copy whose admission started before the append arrives after it.
    let late = pooled(1, 128, 100);
    let r = e.handle(
        t(2),
        Input::PeerTx { from: id(1), context: late.context.clone(), payload: late.payload },
    );
    assert_eq!(r, Err(InputError::KeyImageSpent { hash: Hash32([1; 32]) }));
    // A different transaction spending the same key image (a double spend sent to another node).
    let mut twin = pooled(3, 128, 100);
    twin.context.key_images = late.context.key_images.clone();
    assert_eq!(
        client_tx(&mut e, 2, twin),
        Err(InputError::KeyImageSpent { hash: Hash32([3; 32]) })
    );
    assert!(e.pool().is_empty(), "{:?}", e.pool());
    // Refused inputs changed nothing: no relay, no nomination, no cadence timer.
    assert_eq!(e.drain_actions(), vec![]);
    e.handle(t(5000), Input::Timer(EngineTimer::Nominate)).unwrap();
    assert!(broadcasts(&e.drain_actions()).is_empty(), "nothing valid to nominate");
    // A fresh transaction is still taken.
    client_tx(&mut e, 3, pooled(2, 128, 100)).unwrap();
    assert!(e.pool().contains(&Hash32([2; 32])));
}

#[test]
fn a_fetched_body_spending_a_spent_key_image_releases_the_waiting_statement() {
    let mut e = engine_after_block_spending_1();
    let b1 = next_block(&[1]).block.id;
    // Node 1 names tx 9 (spending key image 1, a twin of the included tx) beside tx 2.
    client_tx(&mut e, 2, pooled(2, 128, 100)).unwrap();
    e.drain_actions();
    let both = Pledge::Nominate(Nominate { votes: vec![set(&[2, 9])], accepted: vec![] });
    msg(&mut e, 3, 1, signed(1, 2, b1, both));
    let a = e.drain_actions();
    assert!(a.iter().any(|x| matches!(x, Action::FetchTxs { .. })), "{a:?}");
    let mut nine = pooled(9, 128, 100);
    nine.context.key_images = pooled(1, 128, 100).context.key_images;
    e.handle(t(4), Input::TxsFetched { from: id(1), txs: vec![nine] }).unwrap();
    assert!(!e.pool().contains(&Hash32([9; 32])));
    // No endless re-fetching of a body that can never be used, and the statement reached SCP.
    assert!(e.wanted.is_empty() && e.waiting.is_empty());
    assert!(e.latest_statements().iter().any(|s| s.node_id == id(1)));
    e.handle(t(600), Input::Timer(EngineTimer::FetchRetry)).unwrap();
    assert!(!e.drain_actions().iter().any(|x| matches!(x, Action::FetchTxs { .. })));
}

/// The devnet stall: a late copy of an included transaction, pooled, made every value this
/// node proposes invalid (its hash was retired), so SCP refused its nomination and the node
/// neither nominated nor joined a peer's nomination, and two such nodes of four left no quorum.
#[test]
fn after_a_late_copy_the_node_still_nominates_in_the_next_slot() {
    let mut e = engine_after_block_spending_1();
    let late = pooled(1, 128, 100);
    let _ =
        e.handle(t(2), Input::PeerTx { from: id(2), context: late.context, payload: late.payload });
    let fresh = pooled(2, 128, 100);
    e.handle(t(3), Input::PeerTx { from: id(1), context: fresh.context, payload: fresh.payload })
        .unwrap();
    let b1 = next_block(&[1]).block.id;
    msg(&mut e, 4, 1, signed(1, 2, b1, nominate(&[2])));
    let mut now = 4;
    let mut timers: Vec<EngineTimer> = Vec::new();
    let own = loop {
        let actions = e.drain_actions();
        timers.extend(actions.iter().filter_map(|a| match a {
            Action::SetTimer { timer, .. } => Some(*timer),
            _ => None,
        }));
        let emitted: Vec<Wire> = broadcasts(&actions)
            .into_iter()
            .filter(|(w, ex)| ex.is_empty() && decode(w).statement.node_id == id(0))
            .map(|(w, _)| w)
            .collect();
        if let Some(w) = emitted.first() {
            break decode(w).statement;
        }
        now += 250;
        assert!(now < 60_000, "node 0 never nominated in slot 2");
        for timer in std::mem::take(&mut timers) {
            e.handle(t(now), Input::Timer(timer)).unwrap();
        }
        timers.push(EngineTimer::Nominate);
    };
    assert_eq!(own.slot, 2);
    assert_eq!(own.pledge, nominate(&[2]));
}

#[test]
fn a_retired_transaction_that_reached_the_pool_anyway_is_dropped_not_nominated() {
    // Defence in depth: should one get past intake (say the spent-key-image memory forgot it),
    // the node drops it at selection and nominates the rest.
    let mut e = engine_after_block_spending_1();
    let stale = pooled(1, 128, 100);
    e.pool.insert(stale, 2, false).unwrap();
    e.scp.driver_mut().learn(Hash32([1; 32]), vec![mcnode_tx::KeyImage::from([1; 32])]);
    client_tx(&mut e, 2, pooled(2, 128, 100)).unwrap();
    e.handle(t(5000), Input::Timer(EngineTimer::Nominate)).unwrap();
    assert!(!e.pool().contains(&Hash32([1; 32])));
    assert!(e.nominated, "SCP took the node's value");
}
