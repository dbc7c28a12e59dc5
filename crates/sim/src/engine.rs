//! The discrete-event engine: virtual time, one event queue ordered by `(time, sequence)`,
//! simulated links (latency range, loss, partitions, overlay), faults, and the run loop.
//!
//! Everything random comes from one [`SimRng`] seeded by the scenario, and events at the same
//! virtual time run in the order they were scheduled, so a seed reproduces a run exactly; the
//! [`EventDigest`] over every processed event proves it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use mcnode_crypto::SigningIdentity;
use mcnode_ledger::block::BlockData;
use mcnode_node::engine::auth::SimMacAuth;
use mcnode_node::engine::{DropCause, DropCounters, Wire};
use mcnode_types::{Hash32, NodeId};

use crate::byzantine::Behaviour;
use crate::driver::Workload;
use crate::enclave;
use crate::node::SimNode;
use crate::report::{Checker, Details, EventDigest, NodeSummary, Report, Stats, Violation};
use crate::rng::SimRng;
use crate::scenario::{Overlay, SimConfig, Submit};

/// What travels over a simulated link.
#[derive(Debug)]
pub(crate) enum Body {
    /// An SCP envelope's bytes as the engine sent them (or as a liar rewrote them).
    Scp(Wire),
    /// A transaction relayed to a peer (`PeerTxPropose`; the simulated enclave's ciphertext is
    /// the hash itself).
    Tx(Hash32),
    /// "Send me these transaction bodies" (`GetTxs`).
    GetTxs(Vec<Hash32>),
    /// The bodies the asked node had.
    Txs(Vec<Hash32>),
    /// "Send me these blocks" (`GetBlocks`, catch-up).
    GetBlocks(Range<u64>),
    /// Blocks with the signatures the answering node holds.
    Blocks(Vec<BlockData>),
}

/// A message on a link, with an id for the event digest.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub id: u64,
    pub body: Body,
    /// Sent by a liar as a lie (counted with what the receiving honest engine did with it).
    pub lie: bool,
}

impl Envelope {
    pub(crate) fn scp(wire: Wire) -> Rc<Envelope> {
        Rc::new(Envelope { id: message_id(&wire), body: Body::Scp(wire), lie: false })
    }

    /// A lie: bytes a liar sends that an honest node would not.
    pub(crate) fn lie(wire: Wire) -> Rc<Envelope> {
        Rc::new(Envelope { id: message_id(&wire), body: Body::Scp(wire), lie: true })
    }

    pub(crate) fn direct(body: Body) -> Rc<Envelope> {
        let id = match &body {
            Body::Tx(h) => message_id(h.as_bytes()),
            _ => 0,
        };
        Rc::new(Envelope { id, body, lie: false })
    }
}

/// The digest id of a message: a fast 64-bit digest of its bytes.
pub(crate) fn message_id(bytes: &[u8]) -> u64 {
    let mut d = EventDigest::default();
    d.mix(bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        d.mix(u64::from_le_bytes(b));
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    d.mix(u64::from_le_bytes(last));
    d.lanes()
}

#[derive(Debug)]
pub(crate) enum Event {
    Deliver {
        to: usize,
        from: usize,
        env: Rc<Envelope>,
    },
    Wake {
        node: usize,
        epoch: u32,
    },
    Submit(u64),
    Fault(usize),
    /// A garbage liar's flood tick.
    Flood {
        node: usize,
        epoch: u32,
    },
}

struct Scheduled {
    time: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scheduled {
    // Reversed: the BinaryHeap is a max-heap and we want the earliest (time, seq) first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}

/// A snapshot for progress displays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Virtual time.
    pub virtual_ms: u64,
    /// Slots decided.
    pub slots: u64,
    /// Values submitted so far.
    pub values_submitted: u64,
    /// Values externalized so far.
    pub values_externalized: u64,
}

/// A simulation in progress.
pub struct Sim {
    pub(crate) cfg: SimConfig,
    pub(crate) now: u64,
    seq: u64,
    queue: BinaryHeap<Scheduled>,
    pub(crate) rng: SimRng,
    pub(crate) nodes: Vec<SimNode>,
    pub(crate) neighbors: Vec<Vec<usize>>,
    pub(crate) group: Option<Vec<usize>>,
    pub(crate) id_index: HashMap<NodeId, usize>,
    pub(crate) workload: Rc<Workload>,
    digest: EventDigest,
    pub(crate) messages: u64,
    pub(crate) stats: Stats,
    pub(crate) checker: Checker,
    pub(crate) story: Vec<(u64, String)>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) faults_left: usize,
    pub(crate) check_done: bool,
    events: u64,
    /// How long a node's slot makes no progress before it re-broadcasts its statements.
    pub(crate) rebroadcast_ms: u64,
    /// How long peers must look ahead before a node catches up (and its fetch retry).
    pub(crate) catchup_ms: u64,
    /// The engine configuration's (unused) message key.
    pub(crate) unused_key: SigningIdentity,
    /// Drop counters of honest engines that crashed.
    pub(crate) retired_drops: Vec<DropCounters>,
    /// What honest engines did with the lies delivered to them: a drop cause, `processed`,
    /// or for block answers `block-refused` / `block-appended`.
    pub(crate) lie_outcomes: BTreeMap<String, u64>,
}

impl Sim {
    /// Builds the network described by `cfg`.
    pub fn new(cfg: SimConfig) -> Self {
        let workload = Rc::new(Workload::new(cfg.seed, cfg.values));
        let mut rng = SimRng::new(cfg.seed);
        let n = cfg.topology.nodes.len();
        let byz: HashMap<usize, Behaviour> = cfg.byzantine.iter().copied().collect();
        let ids: Vec<NodeId> = cfg.topology.nodes.iter().map(|s| s.id).collect();
        let keys = enclave::mac_keys(cfg.seed, &ids);
        let origin = enclave::origin();
        let nodes = cfg
            .topology
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, spec)| {
                let auth = Arc::new(SimMacAuth::new(spec.id, Arc::clone(&keys))?);
                Some(SimNode {
                    key: spec.key.clone(),
                    label: spec.label.clone(),
                    id: spec.id,
                    qset: spec.qset.clone(),
                    behaviour: byz.get(&i).copied(),
                    up: true,
                    epoch: 0,
                    engine: None,
                    auth,
                    block_key: enclave::block_key(&spec.id),
                    blocks: vec![origin.clone()],
                    ledger: Vec::new(),
                    chain: vec![Hash32::ZERO],
                    ledger_values: 0,
                    synced_slots: 0,
                    persisted: Vec::new(),
                    known_tx: Default::default(),
                    wake_at: None,
                    catchup_from: None,
                    history: Vec::new(),
                    recent: Default::default(),
                    lies: BTreeMap::new(),
                    flood_sent: 0,
                })
            })
            .collect();
        let neighbors = build_overlay(n, cfg.overlay, &mut rng);
        let id_index = cfg.topology.nodes.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let hi = cfg.latency_ms.1;
        let rebroadcast_ms = 2 * (cfg.timeout_base_ms + cfg.timeout_increment_ms) + 4 * hi;
        let catchup_ms = 1000 + 4 * hi;
        let mut sim = Sim {
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            rng,
            nodes,
            neighbors,
            group: None,
            id_index,
            workload,
            digest: EventDigest::default(),
            messages: 0,
            stats: Stats::default(),
            checker: Checker::default(),
            story: Vec::new(),
            violations: Vec::new(),
            faults_left: cfg.faults.len(),
            check_done: false,
            events: 0,
            rebroadcast_ms,
            catchup_ms,
            unused_key: crate::lifecycle::unused_key(),
            retired_drops: Vec::new(),
            lie_outcomes: BTreeMap::new(),
            cfg,
        };
        for i in 0..sim.nodes.len() {
            sim.start_engine(i);
        }
        for i in 0..sim.nodes.len() {
            for k in 0..sim.neighbors[i].len() {
                let peer = sim.nodes[sim.neighbors[i][k]].id;
                sim.input(i, mcnode_node::engine::Input::PeerConnected(peer));
            }
        }
        for (i, f) in sim.cfg.faults.clone().iter().enumerate() {
            sim.schedule(f.at_ms, Event::Fault(i));
        }
        if sim.cfg.values > 0 {
            sim.schedule(0, Event::Submit(0));
        }
        for (i, b) in sim.cfg.byzantine.clone() {
            let label = sim.nodes[i].label.clone();
            sim.note(format!("{label} is Byzantine ({})", b.name()));
            if b == Behaviour::Garbage && sim.cfg.garbage_rate > 0 {
                sim.schedule(1, Event::Flood { node: i, epoch: 0 });
            }
        }
        sim
    }

    pub(crate) fn schedule(&mut self, time: u64, event: Event) {
        self.seq += 1;
        self.queue.push(Scheduled { time: time.max(self.now), seq: self.seq, event });
    }

    pub(crate) fn note(&mut self, text: String) {
        self.story.push((self.now, text));
    }

    /// Sends `env` from `from` to `to` over the simulated link.
    pub(crate) fn send(&mut self, from: usize, to: usize, env: Rc<Envelope>) {
        self.messages += 1;
        if let Some(g) = &self.group
            && g[from] != g[to]
        {
            self.stats.partitioned += 1;
            return;
        }
        if self.cfg.drop > 0.0 && self.rng.chance(self.cfg.drop) {
            self.stats.dropped += 1;
            return;
        }
        let (lo, hi) = self.cfg.latency_ms;
        let delay = if hi > lo { self.rng.between(lo, hi) } else { lo };
        self.schedule(self.now + delay, Event::Deliver { to, from, env });
    }

    /// Sends `env` to every overlay neighbor of `from` not in `except`.
    pub(crate) fn broadcast(&mut self, from: usize, env: &Rc<Envelope>, except: &[usize]) {
        for k in 0..self.neighbors[from].len() {
            let to = self.neighbors[from][k];
            if !except.contains(&to) {
                self.send(from, to, Rc::clone(env));
            }
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            virtual_ms: self.now,
            slots: self.checker.slots(),
            values_submitted: self.workload.submitted.get(),
            values_externalized: self.checker.values_externalized(),
        }
    }

    /// Runs to the end (stop time, goal reached, or a safety violation).
    pub fn run(mut self, progress: &mut dyn FnMut(&Progress)) -> Report {
        let start = Instant::now();
        let mut last_slots = 0;
        while let Some(s) = self.queue.pop() {
            if s.time > self.cfg.stop_ms {
                self.now = self.cfg.stop_ms;
                break;
            }
            self.now = s.time;
            self.events += 1;
            self.mix_event(&s.event);
            self.handle(s.event);
            if !self.violations.is_empty() {
                break;
            }
            if self.checker.slots() != last_slots {
                last_slots = self.checker.slots();
                progress(&self.progress());
            }
            if self.check_done {
                self.check_done = false;
                if self.goal_reached() {
                    break;
                }
            }
        }
        let wall_ms = start.elapsed().as_millis() as u64;
        self.finish(wall_ms)
    }

    fn mix_event(&mut self, e: &Event) {
        self.digest.mix(self.now);
        let (tag, node, x) = match e {
            Event::Deliver { to, from, env } => (1, *to, (*from as u64) << 40 ^ env.id),
            Event::Wake { node, epoch } => (2, *node, u64::from(*epoch)),
            Event::Submit(k) => (3, 0, *k),
            Event::Fault(i) => (7, 0, *i as u64),
            Event::Flood { node, epoch } => (8, *node, u64::from(*epoch)),
        };
        self.digest.mix(tag << 56 ^ node as u64);
        self.digest.mix(x);
    }

    fn handle(&mut self, e: Event) {
        match e {
            Event::Deliver { to, from, env } => self.on_deliver(to, from, env),
            Event::Wake { node, epoch } => {
                if self.live(node, epoch) {
                    self.on_wake(node);
                }
            }
            Event::Submit(k) => self.on_submit(k),
            Event::Fault(i) => self.on_fault(i),
            Event::Flood { node, epoch } => self.on_flood(node, epoch),
        }
    }

    pub(crate) fn live(&self, node: usize, epoch: u32) -> bool {
        let n = &self.nodes[node];
        n.up && n.epoch == epoch
    }

    fn on_submit(&mut self, k: u64) {
        self.workload.submitted.set(k + 1);
        let h = self.workload.values[k as usize];
        match self.cfg.submit.clone() {
            Submit::All => {
                for i in 0..self.nodes.len() {
                    self.submit_to(i, h);
                }
            }
            Submit::One => {
                let honest: Vec<usize> = (0..self.nodes.len())
                    .filter(|i| self.nodes[*i].up && self.nodes[*i].behaviour.is_none())
                    .collect();
                if !honest.is_empty() {
                    let pick = honest[self.rng.below(honest.len() as u64) as usize];
                    self.submit_to(pick, h);
                }
            }
            Submit::Nodes(list) => {
                for i in list {
                    self.submit_to(i, h);
                }
            }
        }
        self.check_done = true;
        if k + 1 < self.cfg.values {
            let t = ((k + 1) as f64 * 1000.0 / self.cfg.submit_rate) as u64;
            self.schedule(t, Event::Submit(k + 1));
        }
    }

    /// Honest running nodes, and whether each holds every submitted value.
    fn goal_reached(&self) -> bool {
        if self.faults_left > 0 || self.workload.submitted.get() < self.cfg.values {
            return false;
        }
        self.liveness()
    }

    /// Whether node `i` is honest and among the nodes the scenario judges.
    pub(crate) fn judged(&self, i: usize) -> bool {
        self.nodes[i].behaviour.is_none() && self.cfg.judged.as_ref().is_none_or(|j| j.contains(&i))
    }

    /// Every judged running node holds every submitted value, and at least one runs (a network
    /// whose judged nodes are all down makes no progress).
    fn liveness(&self) -> bool {
        let want = self.workload.submitted.get();
        let mut running = (0..self.nodes.len()).filter(|i| self.nodes[*i].up && self.judged(*i));
        let mut any = false;
        running.all(|i| {
            any = true;
            self.nodes[i].ledger_values == want
        }) && any
    }

    fn finish(mut self, wall_ms: u64) -> Report {
        let live = self
            .nodes
            .iter()
            .filter(|n| n.behaviour.is_none())
            .filter_map(|n| n.engine.as_ref())
            .map(|e| e.drops().clone());
        let all: Vec<DropCounters> = self.retired_drops.iter().cloned().chain(live).collect();
        let mut drops_by_cause = BTreeMap::new();
        for d in &all {
            for (cause, n) in d.iter() {
                *drops_by_cause.entry(cause.label()).or_insert(0) += n;
            }
        }
        for d in &all {
            let s = &mut self.stats;
            s.duplicates += d.get(DropCause::Duplicate);
            s.malformed += d.get(DropCause::Malformed) + d.get(DropCause::OtherChain);
            s.forged += d.get(DropCause::BadSignature) + d.get(DropCause::Unsigned);
            s.rejected += d.total()
                - d.get(DropCause::Duplicate)
                - d.get(DropCause::Malformed)
                - d.get(DropCause::OtherChain)
                - d.get(DropCause::BadSignature)
                - d.get(DropCause::Unsigned);
        }
        let ledger_digest = self
            .nodes
            .iter()
            .filter(|n| n.behaviour.is_none())
            .map(|n| (n.key.clone(), n.chain.last().copied().unwrap_or_default().to_hex()))
            .collect();
        let nodes = self
            .nodes
            .iter()
            .map(|n| NodeSummary {
                label: n.label.clone(),
                key: n.key.clone(),
                byzantine: n.behaviour.map(Behaviour::name),
                up: n.up,
                slots: n.ledger.len() as u64,
                values: n.ledger_values,
                synced_slots: n.synced_slots,
            })
            .collect();
        Report {
            agreement: self.violations.is_empty(),
            liveness: self.liveness(),
            values_submitted: self.workload.submitted.get(),
            values_externalized: self.checker.values_externalized(),
            slots: self.checker.slots(),
            messages: self.messages,
            virtual_ms: self.now,
            wall_ms,
            seed: self.cfg.seed,
            digest: self.digest.finish(),
            ledger_digest,
            violations: self.violations,
            details: Details {
                story: self.story,
                nodes,
                stats: self.stats,
                expect_liveness: self.cfg.expect_liveness,
                events: self.events,
                lies: self
                    .nodes
                    .iter()
                    .filter(|n| n.behaviour.is_some())
                    .map(|n| (n.label.clone(), n.lies.clone()))
                    .collect(),
                lie_outcomes: self.lie_outcomes,
                drops_by_cause,
            },
        }
    }
}

/// The forwarding graph: complete, or a ring plus random chords up to `degree`.
fn build_overlay(n: usize, overlay: Overlay, rng: &mut SimRng) -> Vec<Vec<usize>> {
    let mut adj = vec![Vec::new(); n];
    match overlay {
        Overlay::Full => {
            for (i, a) in adj.iter_mut().enumerate() {
                a.extend((0..n).filter(|j| *j != i));
            }
        }
        Overlay::Degree(d) => {
            let link = |adj: &mut Vec<Vec<usize>>, a: usize, b: usize| {
                if a != b && !adj[a].contains(&b) {
                    adj[a].push(b);
                    adj[b].push(a);
                }
            };
            for i in 0..n {
                link(&mut adj, i, (i + 1) % n);
            }
            for i in 0..n {
                let mut tries = 0;
                while adj[i].len() < d && tries < 8 * d {
                    let j = rng.below(n as u64) as usize;
                    if adj[j].len() < d + 2 {
                        link(&mut adj, i, j);
                    }
                    tries += 1;
                }
            }
            for a in &mut adj {
                a.sort_unstable();
            }
        }
    }
    adj
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_is_symmetric_connected_and_bounded() {
        let mut rng = SimRng::new(5);
        let adj = build_overlay(50, Overlay::Degree(6), &mut rng);
        for (i, a) in adj.iter().enumerate() {
            assert!(a.len() >= 2 && a.len() <= 8, "{i}: {}", a.len());
            for j in a {
                assert!(adj[*j].contains(&i));
            }
        }
        let mut seen = [false; 50];
        let mut stack = vec![0];
        while let Some(x) = stack.pop() {
            if !std::mem::replace(&mut seen[x], true) {
                stack.extend(adj[x].iter().copied());
            }
        }
        assert!(seen.iter().all(|s| *s));
        let full = build_overlay(4, Overlay::Full, &mut rng);
        assert_eq!(full[2], vec![0, 1, 3]);
    }

    #[test]
    fn queue_orders_by_time_then_sequence() {
        let mut h = BinaryHeap::new();
        for (t, s) in [(5, 1), (3, 2), (5, 0), (3, 3)] {
            h.push(Scheduled { time: t, seq: s, event: Event::Submit(0) });
        }
        let order: Vec<(u64, u64)> =
            std::iter::from_fn(|| h.pop().map(|x| (x.time, x.seq))).collect();
        assert_eq!(order, vec![(3, 2), (3, 3), (5, 0), (5, 1)]);
    }
}
