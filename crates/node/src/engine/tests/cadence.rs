//! Pool intake, relay and block cadence; externalize -> form -> append.

use super::*;

#[test]
fn nominates_only_after_the_block_interval() {
    let mut e = engine(0, 4, 3);
    e.drain_actions();
    client_tx(&mut e, 10, pooled(1, 128, 100)).unwrap();
    let a = e.drain_actions();
    assert!(broadcasts(&a).is_empty(), "nominated before the interval: {a:?}");
    assert!(a.contains(&Action::SetTimer { timer: EngineTimer::Nominate, deadline: t(1000) }));
    e.handle(t(999), Input::Timer(EngineTimer::Nominate)).unwrap();
    assert!(broadcasts(&e.drain_actions()).is_empty(), "an early timer must not nominate");
    e.handle(t(1000), Input::Timer(EngineTimer::Nominate)).unwrap();
    let b = broadcasts(&e.drain_actions());
    assert_eq!(b.len(), 1);
    let env = decode(&b[0].0);
    assert_eq!(env.statement.pledge, nominate(&[1]));
    assert_eq!(env.prev_block, genesis().id);
}

#[test]
fn a_full_block_nominates_at_once() {
    let mut c = config(0, 4, 3);
    c.max_values_per_slot = 2;
    let mut e = Engine::new(c, genesis(), vec![], t(0)).unwrap();
    client_tx(&mut e, 10, pooled(1, 128, 100)).unwrap();
    assert!(broadcasts(&e.drain_actions()).is_empty());
    client_tx(&mut e, 20, pooled(2, 128, 100)).unwrap();
    let b = broadcasts(&e.drain_actions());
    assert_eq!(b.len(), 1);
    assert_eq!(decode(&b[0].0).statement.pledge, nominate(&[1, 2]));
}

#[test]
fn no_empty_blocks_nothing_pending_nothing_nominated() {
    let mut e = engine(0, 4, 3);
    e.drain_actions();
    e.handle(t(5000), Input::Timer(EngineTimer::Nominate)).unwrap();
    let a = e.drain_actions();
    assert!(a.is_empty(), "{a:?}");
    assert_eq!(e.next_deadline(), None, "an idle engine arms no timer");
}

#[test]
fn nominates_at_most_max_values_by_priority() {
    // A full block of two: the later but richer peer tx goes first, then the older one.
    let mut c = config(0, 4, 3);
    c.max_values_per_slot = 2;
    let mut e = Engine::new(c, genesis(), vec![], t(0)).unwrap();
    client_tx(&mut e, 1, pooled(9, 128, 100)).unwrap();
    e.handle(
        t(1),
        Input::PeerTx {
            from: id(1),
            context: pooled(5, 1000, 100).context,
            payload: pooled(5, 1000, 100).payload,
        },
    )
    .unwrap();
    let b = broadcasts(&e.drain_actions());
    assert_eq!(decode(&b[0].0).statement.pledge, nominate(&[5, 9]));
}

#[test]
fn client_tx_over_capacity_is_refused() {
    let mut c = config(0, 4, 3);
    c.pool_capacity = 1;
    let mut e = Engine::new(c, genesis(), vec![], t(0)).unwrap();
    client_tx(&mut e, 1, pooled(1, 128, 100)).unwrap();
    assert_eq!(
        client_tx(&mut e, 2, pooled(2, 128, 100)),
        Err(InputError::Pool(PoolError::OverCapacity { capacity: 1 }))
    );
}

#[test]
fn tx_relayed_once_to_every_peer_but_its_sender() {
    let mut e = engine(0, 4, 3);
    for p in 1..4 {
        e.handle(t(0), Input::PeerConnected(id(p))).unwrap();
    }
    e.drain_actions();
    let tx = pooled(1, 128, 100);
    e.handle(
        t(1),
        Input::PeerTx { from: id(2), context: tx.context.clone(), payload: tx.payload.clone() },
    )
    .unwrap();
    let relays: Vec<Action> =
        e.drain_actions().into_iter().filter(|a| matches!(a, Action::RelayTx { .. })).collect();
    assert_eq!(relays, vec![Action::RelayTx { hash: Hash32([1; 32]), to: vec![id(1), id(3)] }]);
    let again = client_tx(&mut e, 2, tx);
    assert_eq!(again, Err(InputError::Pool(PoolError::Duplicate { hash: Hash32([1; 32]) })));
    assert!(!e.drain_actions().iter().any(|a| matches!(a, Action::RelayTx { .. })));
}

#[test]
fn externalize_forms_the_block_and_append_prunes_and_advances() {
    let mut e = engine(0, 1, 1);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    client_tx(&mut e, 0, pooled(2, 128, 2)).unwrap();
    let mut other = pooled(3, 128, 100);
    other.context.key_images = pooled(1, 128, 100).context.key_images;
    e.handle(t(0), Input::PeerTx { from: id(5), context: other.context, payload: other.payload })
        .unwrap();
    e.handle(t(1000), Input::Timer(EngineTimer::Nominate)).unwrap();
    let mut now = 1000;
    let form = loop {
        let a = e.drain_actions();
        if let Some(Action::FormBlock { slot, txs }) =
            a.iter().find(|a| matches!(a, Action::FormBlock { .. }))
        {
            break (*slot, txs.clone());
        }
        now += 100;
        assert!(now < 100_000, "never externalized");
        for timer in a.iter().filter_map(|a| match a {
            Action::SetTimer { timer, .. } => Some(*timer),
            _ => None,
        }) {
            e.handle(t(now), Input::Timer(timer)).unwrap();
        }
    };
    assert_eq!(form.0, 1);
    // Timed from this node's nomination (t = 1000) to the externalize that formed the block.
    let stats = e.status().stats;
    assert_eq!((stats.slots_timed, stats.nominate_to_externalize_ms_last), (1, now - 1000));
    assert_eq!(stats.nominate_to_externalize_ms_total, now - 1000);
    let hashes: Vec<Hash32> = form.1.iter().map(|x| x.context.tx_hash).collect();
    assert_eq!(hashes, vec![Hash32([1; 32]), Hash32([2; 32])]);
    let contents = BlockContents::new(vec![mcnode_tx::KeyImage::from([1; 32])], vec![]);
    let parent = Block { id: genesis().id, ..Block::new(1, None, Hash32::ZERO, &contents) };
    let block = Block::new(1, Some(&parent), Hash32::ZERO, &contents);
    assert_eq!(
        e.handle(
            t(now),
            Input::BlockAppended {
                block: BlockData {
                    block: Block { index: 5, ..block },
                    contents: contents.clone(),
                    signatures: vec![]
                }
            }
        ),
        Err(InputError::NotNextBlock { index: 5, tip: 0 })
    );
    e.handle(
        t(now),
        Input::BlockAppended { block: BlockData { block, contents, signatures: vec![] } },
    )
    .unwrap();
    assert_eq!(e.current_slot(), 2);
    // tx 1 and 2 were included; tx 3 spent tx 1's key image and leaves with it.
    assert!(e.pool().is_empty(), "{:?}", e.pool());
}

type Mutation = fn(&mut EngineConfig);

#[test]
fn unusable_configs_are_refused_by_field() {
    let cases: [(Mutation, &str); 5] = [
        (|c| c.chain_id = "x".repeat(65), "chain_id"),
        (|c| c.max_values_per_slot = 0, "max_values_per_slot"),
        (|c| c.pool_capacity = 0, "pool_capacity"),
        (|c| c.rebroadcast_interval = std::time::Duration::ZERO, "rebroadcast_interval"),
        (|c| c.fetch_retry = std::time::Duration::from_micros(10), "fetch_retry"),
    ];
    for (mutate, field) in cases {
        let mut c = config(0, 4, 3);
        mutate(&mut c);
        match Engine::new(c, genesis(), vec![], t(0)) {
            Err(EngineError::Config(e)) => assert_eq!(e.field, field),
            other => unreachable!("{field}: {other:?}"),
        }
    }
}

#[test]
fn a_block_drops_txs_whose_tombstone_passed_and_votes_for_them_are_refused() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(5, 128, 2)).unwrap();
    client_tx(&mut e, 0, pooled(6, 128, 3)).unwrap();
    e.handle(t(1), Input::BlockAppended { block: next_block(&[1]) }).unwrap();
    // Block 2 is next: tombstone 2 has passed, tombstone 3 has not.
    assert!(!e.pool().contains(&Hash32([5; 32])));
    assert!(e.pool().contains(&Hash32([6; 32])));
    let b1 = next_block(&[1]).block.id;
    let prepare = Pledge::Prepare(mcnode_scp::Prepare {
        ballot: Ballot::new(1, set(&[5])),
        prepared: None,
        prepared_prime: None,
        n_c: 0,
        n_h: 0,
    });
    msg(&mut e, 2, 1, signed(1, 2, b1, prepare));
    assert_eq!(e.drops().get(DropCause::RejectedByScp), 1);
    assert!(!e.drain_actions().iter().any(|a| matches!(a, Action::FetchTxs { .. })));
}
