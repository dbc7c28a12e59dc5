//! Catch-up: the behind rule and the checks on fetched blocks.

use super::*;

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

#[test]
fn status_reports_catching_up_and_peers() {
    let mut e = behind_engine();
    e.handle(t(2010), Input::PeerConnected(id(2))).unwrap();
    let s = e.status();
    assert_eq!(s.sync, status::SyncStatus::CatchingUp { blocks_behind: 5 });
    assert_eq!(s.slot, 1);
    assert_eq!(s.peers.len(), 3);
    let p2 = s.peers.iter().find(|p| p.node == id(2)).cloned();
    assert_eq!(p2, Some(status::PeerStatus { node: id(2), connected: true, latest_slot: 6 }));
    assert_eq!(s.stats.catchups, 1);
}

#[test]
fn an_answer_without_the_next_block_waits_for_the_retry_timer() {
    let mut e = behind_engine();
    e.drain_actions();
    e.handle(t(2100), Input::BlocksFetched { from: id(1), blocks: vec![] }).unwrap();
    assert!(fetch_blocks(&e.drain_actions()).is_none(), "re-asked at once: a fast runtime spins");
    e.handle(t(4010), Input::Timer(EngineTimer::CatchUp)).unwrap();
    assert!(fetch_blocks(&e.drain_actions()).is_some(), "re-asked after the grace period");
}
