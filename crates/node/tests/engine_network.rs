//! Four engines wired by an in-memory loop that turns every action into the inputs it causes,
//! with a fake enclave that forms blocks from transaction hashes (key images and outputs made
//! from the hash) and signs them with a per-node enclave key. Virtual time; messages are
//! delivered in order with no delay; a stopped node loses everything but its ledger and its
//! persisted statements.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use mcnode_crypto::SigningIdentity;
use mcnode_enclave::host_types::{WellFormedEncryptedTx, WellFormedTxContext};
use mcnode_ledger::block::{Block, BlockContents, BlockData, BlockSignature};
use mcnode_node::engine::{
    Action, DropCause, Engine, EngineConfig, EngineTimer, Input, PooledTx, Tip,
};
use mcnode_scp::{QuorumSet, Statement, Time, TxHashSet};
use mcnode_tx::KeyImage;
use mcnode_types::{Hash32, NodeId};

const N: usize = 4;

fn message_key(i: usize) -> SigningIdentity {
    SigningIdentity::from_seed(&[i as u8 + 1; 32])
}

fn enclave_key(i: usize) -> SigningIdentity {
    SigningIdentity::from_seed(&[i as u8 + 101; 32])
}

fn node_id(i: usize) -> NodeId {
    NodeId(message_key(i).verifying().to_bytes())
}

fn tx(seed: u64) -> PooledTx {
    let h = Hash32::digest(b"harness-tx", &seed.to_be_bytes());
    PooledTx {
        context: WellFormedTxContext {
            leaf_count: 0,
            tx_hash: h,
            key_images: vec![KeyImage::from(Hash32::digest(b"harness-ki", &h.0).0)],
            output_public_keys: vec![],
            tombstone: 10_000,
            priority: 128,
            highest_index: 0,
            size: 100,
        },
        payload: WellFormedEncryptedTx(seed.to_be_bytes().to_vec()),
    }
}

struct Net {
    now: u64,
    cfgs: Vec<EngineConfig>,
    engines: Vec<Option<Engine>>,
    ledgers: Vec<Vec<BlockData>>,
    persisted: Vec<Vec<Statement<TxHashSet>>>,
    timers: Vec<BTreeMap<EngineTimer, Time>>,
    queue: VecDeque<(usize, Input)>,
    serving: Vec<bool>,
    /// Per-mille of peer messages and relays lost on the way (seeded, deterministic).
    loss_permille: u64,
    rng: u64,
    /// Nodes "crash" between externalize and append: `FormBlock` is never carried out.
    drop_forms: bool,
}

impl Net {
    fn new() -> Net {
        let ids: Vec<NodeId> = (0..N).map(node_id).collect();
        let qset = QuorumSet::new(3, ids.clone());
        let cfgs: Vec<EngineConfig> = (0..N)
            .map(|i| {
                let network =
                    ids.iter().filter(|x| **x != ids[i]).map(|x| (*x, qset.clone())).collect();
                let mut c = EngineConfig::new("harness", message_key(i), qset.clone(), network);
                c.block_interval = Duration::from_millis(1000);
                c.rebroadcast_interval = Duration::from_millis(1000);
                c.catchup_grace = Duration::from_millis(3000);
                c.fetch_retry = Duration::from_millis(500);
                c
            })
            .collect();
        let origin = Block::new(1, None, Hash32::ZERO, &BlockContents::default());
        let origin =
            BlockData { block: origin, contents: BlockContents::default(), signatures: vec![] };
        let mut net = Net {
            now: 0,
            cfgs,
            engines: (0..N).map(|_| None).collect(),
            ledgers: vec![vec![origin]; N],
            persisted: vec![Vec::new(); N],
            timers: vec![BTreeMap::new(); N],
            queue: VecDeque::new(),
            serving: vec![true; N],
            loss_permille: 0,
            rng: 0x9e37_79b9_7f4a_7c15,
            drop_forms: false,
        };
        for i in 0..N {
            net.start(i);
        }
        net
    }

    fn tip(&self, i: usize) -> Tip {
        let b = self.ledgers[i].last().map(|d| d.block).unwrap_or_else(|| unreachable!());
        Tip { index: b.index, id: b.id }
    }

    fn up(&self, i: usize) -> bool {
        self.engines[i].is_some()
    }

    fn start(&mut self, i: usize) {
        let tip = self.tip(i);
        let e = Engine::new(self.cfgs[i].clone(), tip, self.persisted[i].clone(), Time(self.now));
        self.engines[i] = Some(e.unwrap_or_else(|e| unreachable!("engine starts: {e}")));
        self.timers[i].clear();
        self.collect(i);
        for j in 0..N {
            if j == i {
                continue;
            }
            let attested = |k: usize| Input::PeerAttested {
                node: node_id(k),
                block_signer: NodeId(enclave_key(k).verifying().to_bytes()),
            };
            self.queue.push_back((i, attested(j)));
            if self.up(j) {
                self.queue.push_back((j, attested(i)));
                self.queue.push_back((i, Input::PeerConnected(node_id(j))));
                self.queue.push_back((j, Input::PeerConnected(node_id(i))));
            }
        }
    }

    fn stop(&mut self, i: usize) {
        self.engines[i] = None;
        self.timers[i].clear();
        self.queue.retain(|(to, _)| *to != i);
        for j in 0..N {
            if j != i && self.up(j) {
                self.queue.push_back((j, Input::PeerDisconnected(node_id(i))));
            }
        }
    }

    fn submit(&mut self, i: usize, seed: u64) {
        let t = tx(seed);
        self.queue.push_back((i, Input::ClientTx { context: t.context, payload: t.payload }));
    }

    /// Whether the next message is lost (xorshift64*).
    fn lost(&mut self) -> bool {
        if self.loss_permille == 0 {
            return false;
        }
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) % 1000 < self.loss_permille
    }

    fn index_of(id: &NodeId) -> usize {
        (0..N).find(|i| node_id(*i) == *id).unwrap_or_else(|| unreachable!("known node"))
    }

    fn fake_form(&self, i: usize, txs: &[PooledTx]) -> BlockData {
        let parent = self.ledgers[i].last().map(|d| d.block).unwrap_or_else(|| unreachable!());
        let kis: Vec<KeyImage> = txs.iter().flat_map(|t| t.context.key_images.clone()).collect();
        let outs = txs
            .iter()
            .map(|t| {
                let seed =
                    u64::from_be_bytes(t.context.tx_hash.0[..8].try_into().unwrap_or([0; 8]));
                mcnode_ledger::testkit::synthetic_output(seed)
            })
            .collect();
        let contents = BlockContents::new(kis, outs);
        let root =
            Hash32::digest(b"harness-root", &[parent.root_element.0, contents.hash().0].concat());
        let block = Block::new(1, Some(&parent), root, &contents);
        let sig = BlockSignature::sign(&enclave_key(i), &block.id, self.now / 1000);
        BlockData { block, contents, signatures: vec![sig] }
    }

    /// Turns node `i`'s queued actions into inputs.
    fn collect(&mut self, i: usize) {
        let Some(e) = self.engines[i].as_mut() else { return };
        let actions = e.drain_actions();
        for a in actions {
            match a {
                Action::Send { to, msg } => {
                    let j = Self::index_of(&to);
                    if self.up(j) && !self.lost() {
                        self.queue.push_back((
                            j,
                            Input::PeerMessage { from: node_id(i), bytes: msg.to_vec() },
                        ));
                    }
                }
                Action::Broadcast { msg, except } => {
                    for j in 0..N {
                        if j != i && self.up(j) && !except.contains(&node_id(j)) && !self.lost() {
                            self.queue.push_back((
                                j,
                                Input::PeerMessage { from: node_id(i), bytes: msg.to_vec() },
                            ));
                        }
                    }
                }
                Action::RelayTx { hash, to } => {
                    let Some(t) =
                        self.engines[i].as_ref().and_then(|e| e.pool().get(&hash).cloned())
                    else {
                        continue;
                    };
                    for p in to {
                        let j = Self::index_of(&p);
                        if self.up(j) {
                            self.queue.push_back((
                                j,
                                Input::PeerTx {
                                    from: node_id(i),
                                    context: t.context.clone(),
                                    payload: t.payload.clone(),
                                },
                            ));
                        }
                    }
                }
                Action::FetchTxs { from, hashes } => {
                    for p in from {
                        let j = Self::index_of(&p);
                        let Some(peer) = self.engines[j].as_ref() else { continue };
                        let txs: Vec<PooledTx> =
                            hashes.iter().filter_map(|h| peer.pool().get(h).cloned()).collect();
                        if !txs.is_empty() {
                            self.queue.push_back((i, Input::TxsFetched { from: p, txs }));
                        }
                    }
                }
                Action::FormBlock { .. } if self.drop_forms => {}
                Action::FormBlock { txs, .. } => {
                    let block = self.fake_form(i, &txs);
                    self.ledgers[i].push(block.clone());
                    self.queue.push_front((i, Input::BlockAppended { block }));
                }
                Action::FetchBlocks { from, range } => {
                    for p in from {
                        let j = Self::index_of(&p);
                        if !self.up(j) {
                            continue;
                        }
                        let blocks: Vec<BlockData> = self.ledgers[j]
                            .iter()
                            .filter(|b| range.contains(&b.block.index))
                            .cloned()
                            .collect();
                        self.queue.push_back((i, Input::BlocksFetched { from: p, blocks }));
                    }
                }
                Action::AppendBlock { block } => {
                    self.ledgers[i].push(block.clone());
                    self.queue.push_front((i, Input::BlockAppended { block }));
                }
                Action::PersistStatements { statements, .. } => self.persisted[i] = statements,
                Action::SetTimer { timer, deadline } => {
                    self.timers[i].insert(timer, deadline);
                }
                Action::CancelTimer { timer } => {
                    self.timers[i].remove(&timer);
                }
                Action::Serving(s) => self.serving[i] = s,
                // Every node is given the others' quorum sets here.
                Action::FetchQuorumSet { .. } => {}
            }
        }
    }

    /// Runs until `done` or `limit_ms` of virtual time pass; returns whether `done` held.
    fn run_until(&mut self, limit_ms: u64, done: impl Fn(&Net) -> bool) -> bool {
        let end = self.now + limit_ms;
        // Inputs handled without virtual time moving are bounded, so a spin (timers re-armed
        // at `now`, requests answered at once) fails the test instead of hanging it.
        let (mut instant, mut at_this_instant) = (self.now, 0u32);
        loop {
            if self.now != instant {
                (instant, at_this_instant) = (self.now, 0);
            }
            while let Some((i, input)) = self.queue.pop_front() {
                at_this_instant += 1;
                assert!(at_this_instant < 200_000, "engines spin at t={} ms", self.now);
                if let Some(e) = self.engines[i].as_mut() {
                    let _ = e.handle(Time(self.now), input);
                    self.collect(i);
                }
            }
            if done(self) {
                return true;
            }
            let next = (0..N)
                .filter(|i| self.up(*i))
                .flat_map(|i| self.timers[i].iter().map(move |(t, d)| (d.0, i, *t)))
                .min();
            let Some((at, i, timer)) = next else { return done(self) };
            if at > end {
                self.now = end;
                return done(self);
            }
            self.now = self.now.max(at);
            self.timers[i].remove(&timer);
            self.queue.push_back((i, Input::Timer(timer)));
        }
    }

    fn height(&self, i: usize) -> u64 {
        self.tip(i).index
    }

    fn included(&self, i: usize) -> BTreeSet<KeyImage> {
        self.ledgers[i].iter().flat_map(|b| b.contents.key_images.iter().copied()).collect()
    }

    fn assert_same_chain(&self, nodes: &[usize]) {
        let h = nodes.iter().map(|i| self.height(*i)).min().unwrap_or(0);
        for idx in 0..=h as usize {
            let ids: BTreeSet<_> = nodes.iter().map(|i| self.ledgers[*i][idx].block.id).collect();
            assert_eq!(ids.len(), 1, "block {idx} differs between nodes {nodes:?}");
        }
        for i in nodes {
            for b in &self.ledgers[*i][1..] {
                assert!(!b.contents.key_images.is_empty(), "empty block at {}", b.block.index);
            }
        }
    }
}

fn all_included(seeds: std::ops::Range<u64>, nodes: Vec<usize>) -> impl Fn(&Net) -> bool {
    move |net: &Net| {
        nodes.iter().all(|i| {
            let inc = net.included(*i);
            seeds.clone().all(|s| tx(s).context.key_images.iter().all(|k| inc.contains(k)))
        })
    }
}

#[test]
fn txs_submitted_to_one_node_are_relayed_and_every_node_agrees() {
    let mut net = Net::new();
    for s in 0..5 {
        net.submit(0, s);
    }
    assert!(net.run_until(60_000, all_included(0..5, vec![0, 1, 2, 3])), "not all included");
    net.assert_same_chain(&[0, 1, 2, 3]);
    // A second batch, later: again one block on every node, same ids.
    for s in 5..8 {
        net.submit(2, s);
    }
    assert!(net.run_until(60_000, all_included(5..8, vec![0, 1, 2, 3])));
    net.assert_same_chain(&[0, 1, 2, 3]);
    // Idle: nothing pending, no timer armed anywhere (no busy loop when nothing happens).
    assert!(net.run_until(60_000, |n| (0..N).all(|i| n.timers[i].is_empty())));
    let dropped: u64 = (0..N)
        .filter_map(|i| net.engines[i].as_ref())
        .map(|e| e.drops().get(DropCause::BadSignature) + e.drops().get(DropCause::Malformed))
        .sum();
    assert_eq!(dropped, 0);
}

#[test]
fn a_stopped_node_restarts_and_catches_up_with_signed_blocks() {
    let mut net = Net::new();
    net.submit(0, 0);
    assert!(net.run_until(60_000, all_included(0..1, vec![0, 1, 2, 3])));
    net.stop(3);
    for round in 0..3u64 {
        net.submit(0, 10 + round);
        assert!(net.run_until(60_000, all_included(10..11 + round, vec![0, 1, 2])));
    }
    assert_eq!(net.height(3) + 3, net.height(0));
    net.start(3);
    assert!(
        net.run_until(60_000, |n| n.height(3) == n.height(0) && n.serving[3]),
        "node 3 did not catch up: heights {:?}",
        (0..N).map(|i| net.height(i)).collect::<Vec<_>>()
    );
    net.assert_same_chain(&[0, 1, 2, 3]);
    // The fetched blocks carry a slice of its peers' enclave signatures, never its own.
    let own = NodeId(enclave_key(3).verifying().to_bytes());
    for b in &net.ledgers[3][net.ledgers[3].len() - 3..] {
        assert!(b.signatures.len() >= 3 && b.signatures.iter().all(|s| s.signer != own));
    }
    // And it takes part again: with node 0 stopped, 1, 2 and 3 must make the next block.
    net.stop(0);
    net.submit(3, 20);
    assert!(net.run_until(60_000, all_included(20..21, vec![1, 2, 3])));
    net.assert_same_chain(&[1, 2, 3]);
}

#[test]
fn a_halted_network_resumes_when_enough_nodes_return() {
    let mut net = Net::new();
    net.submit(0, 0);
    assert!(net.run_until(60_000, all_included(0..1, vec![0, 1, 2, 3])));
    let h = net.height(0);
    net.stop(1);
    net.stop(2);
    net.submit(0, 1);
    net.submit(3, 2);
    // Two of four cannot close a block (3-of-4), however long they wait.
    assert!(!net.run_until(120_000, |n| n.height(0) > h || n.height(3) > h));
    // Stuck, they keep re-sending their latest statements (nothing new to say).
    let rebroadcasts =
        |n: &Net, i: usize| n.engines[i].as_ref().map_or(0, |e| e.stats().rebroadcasts);
    assert!(rebroadcasts(&net, 0) > 10 && rebroadcasts(&net, 3) > 10);
    net.start(1);
    assert!(
        net.run_until(60_000, all_included(1..3, vec![0, 1, 3])),
        "did not resume: heights {:?}",
        (0..N).map(|i| net.height(i)).collect::<Vec<_>>()
    );
    net.assert_same_chain(&[0, 1, 3]);
    net.start(2);
    assert!(net.run_until(60_000, all_included(1..3, vec![0, 1, 2, 3])));
    net.assert_same_chain(&[0, 1, 2, 3]);
}

#[test]
fn the_whole_network_restarts_from_disk_mid_slot() {
    let mut net = Net::new();
    net.submit(0, 0);
    assert!(net.run_until(60_000, all_included(0..1, vec![0, 1, 2, 3])));
    net.stop(2);
    net.stop(3);
    net.submit(0, 1);
    assert!(!net.run_until(10_000, |n| n.height(0) > 1));
    for i in [0, 1] {
        net.stop(i);
    }
    for i in 0..N {
        net.start(i);
    }
    // Bodies died with the pools; the tx is submitted again to one node.
    net.submit(1, 1);
    assert!(net.run_until(120_000, all_included(1..2, vec![0, 1, 2, 3])));
    net.assert_same_chain(&[0, 1, 2, 3]);
}

#[test]
fn a_lossy_network_still_includes_everything_in_one_chain() {
    let mut net = Net::new();
    net.loss_permille = 200;
    for s in 0..12 {
        net.submit((s % 4) as usize, s);
        let _ = net.run_until(1_500, |_| false);
    }
    assert!(
        net.run_until(300_000, all_included(0..12, vec![0, 1, 2, 3])),
        "heights {:?}",
        (0..N).map(|i| net.height(i)).collect::<Vec<_>>()
    );
    net.assert_same_chain(&[0, 1, 2, 3]);
}

#[test]
fn every_node_killed_between_externalize_and_append_forms_the_block_after_restart() {
    let mut net = Net::new();
    net.drop_forms = true;
    net.submit(0, 0);
    let externalized = |n: &Net| {
        (0..N).all(|i| {
            n.persisted[i].iter().any(|s| matches!(s.pledge, mcnode_scp::Pledge::Externalize(_)))
        })
    };
    assert!(net.run_until(60_000, externalized));
    assert!((0..N).all(|i| net.height(i) == 0));
    for i in 0..N {
        net.stop(i);
    }
    net.drop_forms = false;
    for i in 0..N {
        net.start(i);
    }
    // The bodies died with every pool; the client submits again (the tx is in no block).
    net.submit(2, 0);
    assert!(net.run_until(60_000, all_included(0..1, vec![0, 1, 2, 3])));
    net.assert_same_chain(&[0, 1, 2, 3]);
    assert!((0..N).all(|i| net.height(i) == 1), "the agreed slot 1 made exactly block 1");
}
