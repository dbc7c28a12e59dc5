//! A small deterministic network for multi-node tests: virtual time, seeded latencies and
//! loss, crashes and restarts (with restore from the node's persisted own statements),
//! periodic re-broadcast of each node's latest statements (what a real node's flooding does
//! for peers that missed something). Checks externalize-once on every output.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use mcnode_scp::{Node, Output, QuorumSet, ScpConfig, Statement, Time, TxHashSet, TxSetDriver};
use mcnode_types::{Hash32, NodeId, SlotIndex};

pub type TestNode = Node<TxHashSet, TxSetDriver>;

#[derive(Clone, Debug)]
enum Event {
    Deliver { to: usize, st: Statement<TxHashSet> },
    Wake { node: usize },
    Rebroadcast { node: usize },
}

pub struct Net {
    pub ids: Vec<NodeId>,
    pub qsets: Vec<QuorumSet>,
    pub configs: Vec<ScpConfig>,
    pub nodes: Vec<Option<TestNode>>,
    /// Nodes that never say anything (a crashed-from-the-start or silent Byzantine node).
    pub silent: Vec<bool>,
    pub now: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    events: Vec<Option<Event>>,
    rng: u64,
    pub latency: (u64, u64),
    /// Per-mille probability that a delivery is lost.
    pub drop_per_mille: u64,
    pub rebroadcast_ms: Option<u64>,
    pub externalized: Vec<BTreeMap<SlotIndex, TxHashSet>>,
    persisted: Vec<BTreeMap<(SlotIndex, bool), Statement<TxHashSet>>>,
    pub messages: u64,
    /// Nominate slots 1..=target_slot, each after the previous externalized.
    pub target_slot: SlotIndex,
    pub max_values: usize,
}

pub fn node_id(i: usize) -> NodeId {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    NodeId(b)
}

/// The value node `i` proposes for `slot`: three tx hashes of its own.
pub fn proposal(i: usize, slot: SlotIndex) -> TxHashSet {
    TxHashSet::from_hashes((0..3u64).map(|k| {
        let mut d = Vec::new();
        d.extend_from_slice(&(i as u64).to_be_bytes());
        d.extend_from_slice(&slot.to_be_bytes());
        d.extend_from_slice(&k.to_be_bytes());
        Hash32::digest(b"test-tx", &d)
    }))
}

pub fn previous_of(v: &TxHashSet) -> Hash32 {
    Hash32::of(b"test-block", v)
}

impl Net {
    pub fn new(qsets: Vec<QuorumSet>, seed: u64) -> Self {
        let n = qsets.len();
        let configs = vec![ScpConfig::default(); n];
        Net {
            ids: (0..n).map(node_id).collect(),
            qsets,
            configs,
            nodes: (0..n).map(|_| None).collect(),
            silent: vec![false; n],
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            events: Vec::new(),
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            latency: (1, 50),
            drop_per_mille: 0,
            rebroadcast_ms: None,
            externalized: vec![BTreeMap::new(); n],
            persisted: vec![BTreeMap::new(); n],
            messages: 0,
            target_slot: 1,
            max_values: 100,
        }
    }

    /// A full mesh of `n` nodes with threshold `t`.
    pub fn mesh(n: usize, t: u32, seed: u64) -> Self {
        let ids: Vec<NodeId> = (0..n).map(node_id).collect();
        Net::new(vec![QuorumSet::new(t, ids); n], seed)
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn schedule(&mut self, at: u64, ev: Event) {
        self.seq += 1;
        self.events.push(Some(ev));
        self.queue.push(Reverse((at, self.seq, self.events.len() - 1)));
    }

    fn make_node(&self, i: usize) -> TestNode {
        let mut node = Node::new(
            self.ids[i],
            self.qsets[i].clone(),
            self.configs[i].clone(),
            TxSetDriver { max_values: self.max_values },
        )
        .unwrap();
        for q in &self.qsets {
            node.add_quorum_set(q.clone()).unwrap();
        }
        node
    }

    /// Creates every node and lets each validator nominate slot 1.
    pub fn start(&mut self) {
        for i in 0..self.ids.len() {
            self.nodes[i] = Some(self.make_node(i));
            if let Some(period) = self.rebroadcast_ms {
                self.schedule(period, Event::Rebroadcast { node: i });
            }
        }
        for i in 0..self.ids.len() {
            self.nominate(i, 1);
        }
    }

    fn nominate(&mut self, i: usize, slot: SlotIndex) {
        if self.silent[i] || !self.configs[i].is_validator {
            return;
        }
        let prev = if slot == 1 {
            Hash32::ZERO
        } else {
            match self.externalized[i].get(&(slot - 1)) {
                Some(v) => previous_of(v),
                None => return,
            }
        };
        let now = Time(self.now);
        if let Some(node) = self.nodes[i].as_mut() {
            let _ = node.nominate(now, slot, proposal(i, slot), prev);
        }
        self.pump(i);
    }

    /// Takes node `i`'s outputs and turns them into events.
    fn pump(&mut self, i: usize) {
        let mut outs = Vec::new();
        if let Some(node) = self.nodes[i].as_mut() {
            while let Some(o) = node.poll_output() {
                outs.push(o);
            }
        }
        for o in outs {
            match o {
                Output::Emit(st) => {
                    if self.silent[i] {
                        continue;
                    }
                    self.persisted[i].insert((st.slot, st.pledge.is_ballot()), st.clone());
                    self.broadcast(i, st);
                }
                Output::SetTimer { deadline, .. } => {
                    self.schedule(deadline.as_millis(), Event::Wake { node: i })
                }
                Output::CancelTimer { .. } => {}
                Output::Externalized { slot, value } => {
                    let prev = self.externalized[i].insert(slot, value);
                    assert!(prev.is_none(), "node {i} externalized slot {slot} twice");
                    if slot < self.target_slot {
                        self.nominate(i, slot + 1);
                    }
                }
            }
        }
    }

    fn broadcast(&mut self, from: usize, st: Statement<TxHashSet>) {
        for to in 0..self.ids.len() {
            if to == from {
                continue;
            }
            if self.drop_per_mille > 0 && self.rand() % 1000 < self.drop_per_mille {
                continue;
            }
            let (lo, hi) = self.latency;
            let delay = lo + self.rand() % (hi - lo + 1);
            self.schedule(self.now + delay, Event::Deliver { to, st: st.clone() });
        }
    }

    pub fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
    }

    /// Restarts node `i` from its persisted own statements, and has every live peer resend
    /// its latest statements to it (what a reconnecting peer gets).
    pub fn restart(&mut self, i: usize) {
        let mut node = self.make_node(i);
        for st in self.persisted[i].values() {
            node.restore(st.clone()).unwrap();
        }
        self.nodes[i] = Some(node);
        self.pump(i);
        for j in 0..self.ids.len() {
            if j == i || self.silent[j] {
                continue;
            }
            let sts: Vec<Statement<TxHashSet>> = self.persisted[j].values().cloned().collect();
            for st in sts {
                self.schedule(self.now + 1, Event::Deliver { to: i, st });
            }
        }
        // It resumes nominating where it was.
        let next = self.externalized[i].keys().max().map_or(1, |s| s + 1);
        if next <= self.target_slot {
            self.nominate(i, next);
        }
    }

    /// Runs events until `until` (virtual ms) or until `done` holds.
    pub fn run(&mut self, until: u64, done: impl Fn(&Net) -> bool) {
        while let Some(Reverse((at, _, idx))) = self.queue.pop() {
            if at > until {
                self.queue.push(Reverse((at, 0, idx)));
                break;
            }
            self.now = at;
            let Some(ev) = self.events[idx].take() else { continue };
            match ev {
                Event::Deliver { to, st } => {
                    if let Some(node) = self.nodes[to].as_mut() {
                        self.messages += 1;
                        let _ = node.handle_statement(Time(at), st);
                        self.pump(to);
                    }
                }
                Event::Wake { node } => {
                    if let Some(n) = self.nodes[node].as_mut() {
                        n.handle_timeouts(Time(at));
                        self.pump(node);
                    }
                }
                Event::Rebroadcast { node } => {
                    if self.nodes[node].is_some() && !self.silent[node] {
                        let sts: Vec<Statement<TxHashSet>> =
                            self.persisted[node].values().cloned().collect();
                        for st in sts {
                            self.broadcast(node, st);
                        }
                    }
                    if let Some(period) = self.rebroadcast_ms {
                        self.schedule(at + period, Event::Rebroadcast { node });
                    }
                }
            }
            if done(self) {
                break;
            }
        }
    }

    /// Whether every node in `who` externalized every slot up to the target.
    pub fn all_done(&self, who: &[usize]) -> bool {
        who.iter().all(|i| (1..=self.target_slot).all(|s| self.externalized[*i].contains_key(&s)))
    }

    /// Agreement: no two nodes externalized different values for a slot; returns the
    /// number of (node, slot) decisions checked.
    pub fn check_agreement(&self) -> usize {
        let mut by_slot: BTreeMap<SlotIndex, &TxHashSet> = BTreeMap::new();
        let mut n = 0;
        for ext in &self.externalized {
            for (s, v) in ext {
                n += 1;
                if let Some(other) = by_slot.insert(*s, v) {
                    assert_eq!(other, v, "disagreement on slot {s}");
                }
            }
        }
        n
    }

    /// Validity: every externalized hash was proposed by some node for that slot.
    pub fn check_validity(&self) {
        for ext in &self.externalized {
            for (s, v) in ext {
                for h in v.as_slice() {
                    assert!(
                        (0..self.ids.len()).any(|i| proposal(i, *s).contains(h)),
                        "slot {s} externalized an unproposed hash"
                    );
                }
            }
        }
    }
}
