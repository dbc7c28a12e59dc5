//! Unit tests of the engine's rules, one or more per rule; each fails without its rule.

use std::collections::BTreeMap;

use mcnode_crypto::SigningIdentity;
use mcnode_ledger::block::{Block, BlockContents, BlockData, BlockId, BlockSignature};
use mcnode_scp::{Ballot, Externalize, Nominate, Pledge, QuorumSet, Statement, Time, TxHashSet};
use mcnode_types::{Encode, Hash32, NodeId, SlotIndex};

use super::testkit::{config, engine, genesis, id, key, pooled};
use super::*;

fn t(ms: u64) -> Time {
    Time(ms)
}

fn set(seeds: &[u8]) -> TxHashSet {
    TxHashSet::from_hashes(seeds.iter().map(|s| Hash32([*s; 32])))
}

fn statement(i: u8, slot: SlotIndex, pledge: Pledge<TxHashSet>) -> Statement<TxHashSet> {
    Statement { node_id: id(i), slot, quorum_set_hash: config(i, 4, 3).quorum_set.hash(), pledge }
}

fn nominate(values: &[u8]) -> Pledge<TxHashSet> {
    Pledge::Nominate(Nominate { votes: vec![set(values)], accepted: vec![] })
}

fn externalize(values: &[u8]) -> Pledge<TxHashSet> {
    Pledge::Externalize(Externalize { commit: Ballot::new(1, set(values)), n_h: 1 })
}

fn signed(i: u8, slot: SlotIndex, prev: BlockId, pledge: Pledge<TxHashSet>) -> Vec<u8> {
    ScpEnvelope::sign(&key(i), "test-chain", prev, statement(i, slot, pledge)).to_canonical_bytes()
}

fn client_tx(e: &mut Engine, now: u64, tx: PooledTx) -> Result<(), InputError> {
    e.handle(t(now), Input::ClientTx { context: tx.context, payload: tx.payload })
}

fn msg(e: &mut Engine, now: u64, from: u8, bytes: Vec<u8>) {
    let r = e.handle(t(now), Input::PeerMessage { from: id(from), bytes });
    assert_eq!(r, Ok(()));
}

fn broadcasts(actions: &[Action]) -> Vec<(Wire, Option<NodeId>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Broadcast { msg, except } => Some((msg.clone(), *except)),
            _ => None,
        })
        .collect()
}

fn decode(w: &Wire) -> ScpEnvelope {
    match <ScpEnvelope as mcnode_types::Decode>::from_canonical_bytes(w) {
        Ok(e) => e,
        Err(e) => unreachable!("own envelopes decode: {e}"),
    }
}

// ---- cadence ----

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

// ---- pool at the API ----

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

// ---- message authentication and drops ----

#[test]
fn every_bad_message_is_dropped_by_cause_before_scp() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(7, 128, 100)).unwrap();
    e.drain_actions();
    let g = genesis().id;
    let good = statement(1, 1, nominate(&[7]));

    msg(&mut e, 1, 1, vec![1, 2, 3]);
    assert_eq!(e.drops().get(DropCause::Malformed), 1);

    let unsigned = ScpEnvelope {
        chain_id: "test-chain".into(),
        prev_block: g,
        statement: good.clone(),
        signature: None,
    };
    msg(&mut e, 1, 1, unsigned.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::Unsigned), 1);

    // Signed by node 2's key but claiming to be node 1.
    let forged = ScpEnvelope::sign(&key(2), "test-chain", g, good.clone());
    msg(&mut e, 1, 1, forged.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::BadSignature), 1);

    let other = ScpEnvelope::sign(&key(1), "other-chain", g, good.clone());
    msg(&mut e, 1, 1, other.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::OtherChain), 1);

    msg(&mut e, 1, 1, signed(1, 1, BlockId(Hash32([9; 32])), nominate(&[7])));
    assert_eq!(e.drops().get(DropCause::WrongPrevBlock), 1);

    msg(&mut e, 1, 1, signed(1, 0, g, nominate(&[7])));
    assert_eq!(e.drops().get(DropCause::StaleSlot), 1);

    msg(&mut e, 1, 1, signed(0, 1, g, nominate(&[7])));
    assert_eq!(e.drops().get(DropCause::FromSelf), 1);

    assert!(broadcasts(&e.drain_actions()).is_empty(), "nothing bad is relayed");
    assert!(e.latest_statements().iter().all(|s| s.node_id != id(1)), "SCP saw a bad message");

    let ok = signed(1, 1, g, nominate(&[7]));
    msg(&mut e, 2, 3, ok.clone());
    assert!(e.latest_statements().iter().any(|s| s.node_id == id(1)));
    let relayed = broadcasts(&e.drain_actions());
    assert!(relayed.iter().any(|(w, ex)| **w == *ok && *ex == Some(id(3))), "{relayed:?}");
    msg(&mut e, 3, 2, ok);
    assert_eq!(e.drops().get(DropCause::Duplicate), 1);
    assert!(broadcasts(&e.drain_actions()).iter().all(|(_, ex)| ex.is_none()));
}

#[test]
fn unknown_senders_are_relayed_only_if_well_signed_and_never_processed() {
    let mut e = engine(0, 4, 3);
    e.drain_actions();
    let stranger = SigningIdentity::from_seed(&[99; 32]);
    let st = Statement {
        node_id: NodeId(stranger.verifying().to_bytes()),
        ..statement(1, 1, nominate(&[7]))
    };
    let good = ScpEnvelope::sign(&stranger, "test-chain", genesis().id, st.clone());
    msg(&mut e, 1, 2, good.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::UnknownSender), 1);
    let b = broadcasts(&e.drain_actions());
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].1, Some(id(2)));
    assert!(e.latest_statements().is_empty());
    let bad = ScpEnvelope::sign(&key(3), "test-chain", genesis().id, st);
    msg(&mut e, 1, 2, bad.to_canonical_bytes());
    assert_eq!(e.drops().get(DropCause::BadSignature), 1);
    assert!(broadcasts(&e.drain_actions()).is_empty());
}

#[test]
fn signature_covers_chain_slot_prev_block_and_statement() {
    let g = genesis().id;
    let env = ScpEnvelope::sign(&key(1), "test-chain", g, statement(1, 1, nominate(&[7])));
    assert_eq!(env.verify(), Ok(()));
    let mutations: [fn(&mut ScpEnvelope); 4] = [
        |e| e.chain_id = "test-chaim".into(),
        |e| e.statement.slot = 2,
        |e| e.prev_block = BlockId(Hash32([1; 32])),
        |e| e.statement.pledge = nominate(&[8]),
    ];
    for m in mutations {
        let mut bad = env.clone();
        m(&mut bad);
        assert_eq!(bad.verify(), Err(envelope::SignatureCheck::BadSignature { sender: id(1) }));
    }
}

// ---- values: unknown bodies are fetched first ----

#[test]
fn unknown_hash_waits_and_is_fetched_from_the_peer_that_named_it() {
    let mut e = engine(0, 4, 3);
    e.handle(t(0), Input::PeerConnected(id(2))).unwrap();
    e.drain_actions();
    msg(&mut e, 1, 1, signed(1, 1, genesis().id, nominate(&[7])));
    let a = e.drain_actions();
    assert!(
        a.contains(&Action::FetchTxs { from: vec![id(1), id(2)], hashes: vec![Hash32([7; 32])] }),
        "{a:?}"
    );
    assert!(e.latest_statements().is_empty(), "SCP must not see a value it cannot judge");
    // An unasked body is ignored; the asked one releases the statement.
    let tx = pooled(7, 128, 100);
    e.handle(t(2), Input::TxsFetched { from: id(1), txs: vec![pooled(8, 128, 100)] }).unwrap();
    assert!(!e.pool().contains(&Hash32([8; 32])));
    e.handle(t(2), Input::TxsFetched { from: id(1), txs: vec![tx] }).unwrap();
    assert!(e.latest_statements().iter().any(|s| s.node_id == id(1)));
}

#[test]
fn a_value_spending_one_key_image_twice_is_rejected() {
    let mut e = engine(0, 4, 3);
    let mut b = pooled(2, 128, 100);
    b.context.key_images = pooled(1, 128, 100).context.key_images;
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    client_tx(&mut e, 0, b).unwrap();
    let prepare = Pledge::Prepare(mcnode_scp::Prepare {
        ballot: Ballot::new(1, set(&[1, 2])),
        prepared: None,
        prepared_prime: None,
        n_c: 0,
        n_h: 0,
    });
    msg(&mut e, 1, 1, signed(1, 1, genesis().id, prepare));
    assert_eq!(e.drops().get(DropCause::RejectedByScp), 1);
    assert!(e.latest_statements().iter().all(|s| s.node_id != id(1)));
}

// ---- externalize, form, append ----

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

// ---- liveness ----

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

// ---- catch-up ----

fn peers_externalized(e: &mut Engine, peers: &[u8], slot: SlotIndex) {
    for p in peers {
        msg(e, 10, *p, signed(*p, slot, BlockId(Hash32([slot as u8; 32])), externalize(&[50])));
    }
}

fn enclave(i: u8) -> SigningIdentity {
    SigningIdentity::from_seed(&[100 + i; 32])
}

fn attest(e: &mut Engine, i: u8) {
    let block_signer = NodeId(enclave(i).verifying().to_bytes());
    e.handle(t(0), Input::PeerAttested { node: id(i), block_signer }).unwrap();
}

/// Block 1 on the genesis tip, signed by the enclaves of `signers`.
fn block1(signers: &[u8]) -> BlockData {
    let contents = BlockContents::new(vec![mcnode_tx::KeyImage::from([1; 32])], vec![]);
    let parent = Block { id: genesis().id, ..Block::new(1, None, Hash32::ZERO, &contents) };
    let block = Block::new(1, Some(&parent), Hash32::ZERO, &contents);
    let signatures =
        signers.iter().map(|i| BlockSignature::sign(&enclave(*i), &block.id, 7)).collect();
    BlockData { block, contents, signatures }
}

fn fetch_blocks(a: &[Action]) -> Option<(Vec<NodeId>, std::ops::Range<u64>)> {
    a.iter().find_map(|a| match a {
        Action::FetchBlocks { from, range } => Some((from.clone(), range.clone())),
        _ => None,
    })
}

fn behind_engine() -> Engine {
    let mut e = engine(0, 4, 3);
    for i in 0..4 {
        attest(&mut e, i);
    }
    peers_externalized(&mut e, &[1, 2, 3], 5);
    e.handle(t(2010), Input::Timer(EngineTimer::CatchUp)).unwrap();
    e
}

#[test]
fn behind_needs_a_blocking_set_and_a_quorum_and_the_grace_period() {
    let mut e = engine(0, 4, 3);
    // Nodes 1 and 2 ahead: v-blocking for 3-of-4 but no quorum (each needs 3 of 4).
    peers_externalized(&mut e, &[1, 2], 5);
    e.handle(t(5000), Input::Timer(EngineTimer::CatchUp)).unwrap();
    assert!(fetch_blocks(&e.drain_actions()).is_none());
    assert!(e.is_serving());
    peers_externalized(&mut e, &[3], 5);
    let a = e.drain_actions();
    assert!(a.contains(&Action::SetTimer { timer: EngineTimer::CatchUp, deadline: t(2010) }));
    e.handle(t(2009), Input::Timer(EngineTimer::CatchUp)).unwrap();
    assert!(fetch_blocks(&e.drain_actions()).is_none(), "within the grace period");
    e.handle(t(2010), Input::Timer(EngineTimer::CatchUp)).unwrap();
    let a = e.drain_actions();
    assert!(a.contains(&Action::Serving(false)));
    let mut ahead = vec![id(1), id(2), id(3)];
    ahead.sort();
    assert_eq!(fetch_blocks(&a), Some((ahead, 1..6)));
    assert_eq!(client_tx(&mut e, 2011, pooled(1, 128, 100)), Err(InputError::NotServing));
}

#[test]
fn fetched_block_needs_a_slice_of_attested_peer_signatures_never_its_own() {
    let mut e = behind_engine();
    e.drain_actions();
    // Itself plus two peers: not a slice without itself.
    e.handle(t(2100), Input::BlocksFetched { from: id(1), blocks: vec![block1(&[0, 1, 2])] })
        .unwrap();
    assert!(!e.drain_actions().iter().any(|a| matches!(a, Action::AppendBlock { .. })));
    // Node 3's signature by a key that is not its attested enclave key does not count.
    let mut forged = block1(&[]);
    forged.signatures = vec![BlockSignature::sign(&key(3), &forged.block.id, 7)];
    e.handle(t(2100), Input::BlocksFetched { from: id(3), blocks: vec![forged] }).unwrap();
    assert!(!e.drain_actions().iter().any(|a| matches!(a, Action::AppendBlock { .. })));
    // Node 3's enclave signature, from another peer's answer, completes the slice.
    e.handle(t(2100), Input::BlocksFetched { from: id(2), blocks: vec![block1(&[3])] }).unwrap();
    let a = e.drain_actions();
    let appended = a.iter().find_map(|a| match a {
        Action::AppendBlock { block } => Some(block.clone()),
        _ => None,
    });
    let Some(appended) = appended else { unreachable!("no AppendBlock: {a:?}") };
    let signers: Vec<NodeId> = appended.signatures.iter().map(|s| s.signer).collect();
    let mut want: Vec<NodeId> =
        [1u8, 2, 3].iter().map(|i| NodeId(enclave(*i).verifying().to_bytes())).collect();
    want.sort();
    let mut got = signers;
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn fetched_block_with_bad_contents_or_link_is_refused() {
    let mut e = behind_engine();
    e.drain_actions();
    let mut bad_contents = block1(&[1, 2, 3]);
    bad_contents.contents = BlockContents::new(vec![mcnode_tx::KeyImage::from([2; 32])], vec![]);
    let contents = BlockContents::new(vec![], vec![]);
    let stranger = Block::new(1, None, Hash32::ZERO, &contents);
    let orphan_hdr = Block::new(1, Some(&stranger), Hash32::ZERO, &contents);
    let orphan = BlockData {
        block: orphan_hdr,
        contents,
        signatures: [1u8, 2, 3]
            .iter()
            .map(|i| BlockSignature::sign(&enclave(*i), &orphan_hdr.id, 7))
            .collect(),
    };
    e.handle(t(2100), Input::BlocksFetched { from: id(1), blocks: vec![bad_contents, orphan] })
        .unwrap();
    assert!(!e.drain_actions().iter().any(|a| matches!(a, Action::AppendBlock { .. })));
    assert_eq!(e.stats().blocks_refused, 2);
}

#[test]
fn drop_cause_labels_are_unique() {
    let labels: BTreeMap<&str, DropCause> =
        DropCause::ALL.iter().map(|c| (c.label(), *c)).collect();
    assert_eq!(labels.len(), DropCause::ALL.len());
}

// ---- slots ahead and behind ----

/// Block 1 on the test genesis with the given key images.
fn next_block(seeds: &[u8]) -> BlockData {
    let contents = BlockContents::new(
        seeds.iter().map(|s| mcnode_tx::KeyImage::from([*s; 32])).collect(),
        vec![],
    );
    let parent = Block { id: genesis().id, ..Block::new(1, None, Hash32::ZERO, &contents) };
    let block = Block::new(1, Some(&parent), Hash32::ZERO, &contents);
    BlockData { block, contents, signatures: vec![] }
}

#[test]
fn statements_for_the_next_slot_wait_for_it_and_are_relayed() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    client_tx(&mut e, 0, pooled(2, 128, 100)).unwrap();
    e.drain_actions();
    let b1 = next_block(&[1]);
    let ahead = signed(1, 2, b1.block.id, nominate(&[2]));
    msg(&mut e, 1, 1, ahead.clone());
    assert!(broadcasts(&e.drain_actions()).iter().any(|(w, _)| **w == *ahead));
    assert!(e.latest_statements().is_empty());
    e.handle(t(2), Input::BlockAppended { block: b1 }).unwrap();
    assert_eq!(e.current_slot(), 2);
    assert!(
        e.latest_statements().iter().any(|s| s.node_id == id(1)),
        "the buffered statement reached SCP at its slot"
    );
}

#[test]
fn a_peer_on_a_closed_slot_gets_this_nodes_externalize() {
    let mut e = engine(0, 4, 3);
    client_tx(&mut e, 0, pooled(1, 128, 100)).unwrap();
    for p in 1..4 {
        msg(&mut e, 1, p, signed(p, 1, genesis().id, externalize(&[1])));
    }
    let a = e.drain_actions();
    assert!(a.iter().any(|x| matches!(x, Action::FormBlock { slot: 1, .. })), "{a:?}");
    let own_ext: Vec<Wire> = broadcasts(&a)
        .into_iter()
        .filter(|(w, ex)| {
            ex.is_none() && matches!(decode(w).statement.pledge, Pledge::Externalize(_))
        })
        .map(|(w, _)| w)
        .collect();
    assert_eq!(own_ext.len(), 1);
    e.handle(t(2), Input::BlockAppended { block: next_block(&[1]) }).unwrap();
    e.drain_actions();
    // Node 3 missed the end of slot 1 and still nominates in it.
    msg(&mut e, 3, 3, signed(3, 1, genesis().id, nominate(&[1])));
    assert_eq!(e.drops().get(DropCause::StaleSlot), 1);
    assert_eq!(e.drain_actions(), vec![Action::Send { to: id(3), msg: own_ext[0].clone() }]);
}

#[test]
fn peers_ahead_that_block_but_are_no_quorum_do_not_make_the_node_behind() {
    // Node 0 trusts 2 of {1, 2}; nodes 1 and 2 each need 3 of {1, 2, 3}. {1, 2} ahead block
    // node 0 and satisfy its slice, but they are no quorum without node 3.
    let others = QuorumSet::new(3, vec![id(1), id(2), id(3)]);
    let network = (1..4).map(|i| (id(i), others.clone())).collect();
    let mut c = config(0, 4, 3);
    c.quorum_set = QuorumSet::new(2, vec![id(1), id(2)]);
    c.network = network;
    let mut e = Engine::new(c, genesis(), vec![], t(0)).unwrap();
    peers_externalized(&mut e, &[1, 2], 5);
    assert!(
        !e.drain_actions()
            .iter()
            .any(|a| matches!(a, Action::SetTimer { timer: EngineTimer::CatchUp, .. })),
        "behind without a quorum ahead"
    );
    peers_externalized(&mut e, &[3], 5);
    assert!(
        e.drain_actions()
            .iter()
            .any(|a| matches!(a, Action::SetTimer { timer: EngineTimer::CatchUp, .. }))
    );
}

#[test]
fn peers_ahead_that_are_a_quorum_but_do_not_block_do_not_make_the_node_behind() {
    // Node 0 trusts any 1 of {1, 2, 3}; each of them is a quorum alone. Node 1 ahead is a
    // quorum satisfying node 0's slice, but not v-blocking (2 and 3 could still decide).
    let mut c = config(0, 4, 3);
    c.quorum_set = QuorumSet::new(1, vec![id(1), id(2), id(3)]);
    c.network = (1..4).map(|i| (id(i), QuorumSet::singleton(id(i)))).collect();
    let mut e = Engine::new(c, genesis(), vec![], t(0)).unwrap();
    peers_externalized(&mut e, &[1], 5);
    let catchup_timer = |a: &[Action]| {
        a.iter().any(|a| matches!(a, Action::SetTimer { timer: EngineTimer::CatchUp, .. }))
    };
    assert!(!catchup_timer(&e.drain_actions()), "behind without a blocking set ahead");
    peers_externalized(&mut e, &[2, 3], 5);
    assert!(catchup_timer(&e.drain_actions()));
}
