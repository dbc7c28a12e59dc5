//! One simulated node: an `mcnode-scp` core plus what the real node keeps around it (ledger,
//! pending values, persisted last statements, dedup memory), and how it reacts to messages,
//! timers, submissions and its own SCP output.
//!
//! Honest behaviour, as the real node will do it:
//! - **Flooding with dedup**: a statement seen for the first time and accepted by the SCP core
//!   is relayed to every overlay neighbor but the sender; statements are authenticated (the
//!   signer must be the origin) and deduplicated by content id.
//! - **Nomination**: a node nominates up to K pending values when K are pending or the block
//!   interval has passed; it also joins a slot as soon as a peer nominates in it.
//! - **Persistence**: every emitted statement is kept as the node's last statement of its
//!   protocol for the slot; after a crash the node restores from them (stellar-core
//!   `setStateFromEnvelope`) and asks its peers for their current state.
//! - **Recovery** (stuck detection, ledger sync, crash and restart) lives in `recovery.rs`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use mcnode_scp::{Driver, Node, Pledge, QuorumSet, ScpConfig, Statement, Time, Validity};

use mcnode_scp::TxHashSet;
use mcnode_types::{Decode, Encode, Hash32, NodeId, SlotIndex};

use crate::byzantine::{self, Behaviour};
use crate::driver::{HashMap32, PrehashedHasher, SimDriver, Workload};

type FastSet<K> = HashSet<K, std::hash::BuildHasherDefault<PrehashedHasher>>;
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<PrehashedHasher>>;
use crate::engine::{Body, Envelope, Event, Sim};
use crate::report::Violation;
use crate::scenario::SimConfig;

/// Domain tag of the per-node ledger chain (also the `previous` value SCP nominates with).
pub const LEDGER_DOMAIN: &[u8] = b"mcnode-sim-ledger";
/// Statements for slots further ahead than this are not handed to the SCP core.
pub(crate) const MAX_SLOTS_AHEAD: SlotIndex = 16;
/// Messages kept per node for violation reports.
const RECENT: usize = 4;
/// Old messages a `replay` node keeps to resend.
const HISTORY: usize = 256;

#[derive(Debug, Default)]
pub(crate) struct SyncState {
    pub active: bool,
    pub asked_at: Option<u64>,
    /// First slot this catch-up actually took by ledger sync (for the report).
    pub from_slot: Option<SlotIndex>,
    /// Slots this catch-up took by ledger sync (the rest of its range came from consensus).
    pub taken: u64,
    /// slot -> (responder, value) claims.
    pub claims: BTreeMap<SlotIndex, Vec<(usize, TxHashSet)>>,
}

pub(crate) struct SimNode {
    pub key: String,
    pub label: String,
    pub id: NodeId,
    pub qset: QuorumSet,
    pub behaviour: Option<Behaviour>,
    pub up: bool,
    pub epoch: u32,
    pub scp: Node<TxHashSet, SimDriver>,
    pub ledger: Vec<TxHashSet>,
    /// `chain[s]` is the digest after slot `s` (`chain[0]` is genesis).
    pub chain: Vec<Hash32>,
    pub ledger_values: u64,
    pub synced_slots: u64,
    pub buffered: BTreeMap<SlotIndex, TxHashSet>,
    pub pending: BTreeMap<u64, Hash32>,
    pub pending_pos: HashMap32<u64>,
    pub pending_seq: u64,
    pub known_tx: FastSet<Hash32>,
    pub nominated: SlotIndex,
    pub cadence_for: SlotIndex,
    pub last_progress_ms: u64,
    pub persisted: BTreeMap<SlotIndex, [Option<Statement<TxHashSet>>; 2]>,
    pub seen: FastMap<u64, SlotIndex>,
    pub max_seen_slot: SlotIndex,
    pub stuck_armed: bool,
    pub sync: SyncState,
    pub history: VecDeque<Rc<Envelope>>,
    pub recent: VecDeque<Rc<Envelope>>,
}

pub(crate) fn make_scp(
    cfg: &SimConfig,
    i: usize,
    behaviour: Option<Behaviour>,
    workload: &Rc<Workload>,
    all_qsets: &[QuorumSet],
) -> Node<TxHashSet, SimDriver> {
    let spec = &cfg.topology.nodes[i];
    let ms = std::time::Duration::from_millis;
    let config = ScpConfig {
        nomination_timeout_base: ms(cfg.timeout_base_ms),
        nomination_timeout_increment: ms(cfg.timeout_increment_ms),
        ballot_timeout_base: ms(cfg.timeout_base_ms),
        ballot_timeout_increment: ms(cfg.timeout_increment_ms),
        ..ScpConfig::default()
    };
    let permissive = behaviour == Some(Behaviour::ConflictingValues);
    let driver = SimDriver::new(cfg.max_values_per_slot, Rc::clone(workload), permissive);
    // Topologies are validated when loaded, so this cannot fail; fall back to a singleton
    // rather than panic if it ever did.
    let mut node = match Node::new(spec.id, spec.qset.clone(), config.clone(), driver) {
        Ok(n) => n,
        Err(_) => {
            let d = SimDriver::new(cfg.max_values_per_slot, Rc::clone(workload), permissive);
            let single = QuorumSet::singleton(spec.id);
            match Node::new(spec.id, single, config, d) {
                Ok(n) => n,
                Err(_) => unreachable_node(),
            }
        }
    };
    let mut added = HashSet::new();
    for q in all_qsets {
        if added.insert(q.hash()) {
            let _ = node.add_quorum_set(q.clone());
        }
    }
    node
}

#[allow(clippy::panic)]
fn unreachable_node() -> ! {
    // A singleton quorum set always validates.
    panic!("a singleton quorum set failed validation")
}

impl SimNode {
    pub(crate) fn new(
        cfg: &SimConfig,
        i: usize,
        behaviour: Option<Behaviour>,
        workload: &Rc<Workload>,
        all_qsets: &[QuorumSet],
    ) -> Self {
        let spec = &cfg.topology.nodes[i];
        SimNode {
            key: spec.key.clone(),
            label: spec.label.clone(),
            id: spec.id,
            qset: spec.qset.clone(),
            behaviour,
            up: true,
            epoch: 0,
            scp: make_scp(cfg, i, behaviour, workload, all_qsets),
            ledger: Vec::new(),
            chain: vec![Hash32::ZERO],
            ledger_values: 0,
            synced_slots: 0,
            buffered: BTreeMap::new(),
            pending: BTreeMap::new(),
            pending_pos: HashMap32::default(),
            pending_seq: 0,
            known_tx: FastSet::default(),
            nominated: 0,
            cadence_for: 0,
            last_progress_ms: 0,
            persisted: BTreeMap::new(),
            seen: FastMap::default(),
            max_seen_slot: 0,
            stuck_armed: false,
            sync: SyncState::default(),
            history: VecDeque::new(),
            recent: VecDeque::new(),
        }
    }

    pub(crate) fn current(&self) -> SlotIndex {
        self.ledger.len() as SlotIndex + 1
    }

    pub(crate) fn active(&self) -> bool {
        self.up && self.behaviour != Some(Behaviour::Silent)
    }

    pub(crate) fn wants_progress(&self) -> bool {
        !self.pending.is_empty() || self.max_seen_slot >= self.current()
    }
}

/// One line describing a statement, for violation reports.
pub(crate) fn describe(st: &Statement<TxHashSet>) -> String {
    let v =
        |x: &TxHashSet| format!("{} values {}", x.len(), crate::report::value_digest(x).short());
    let what = match &st.pledge {
        Pledge::Nominate(n) => {
            format!("NOMINATE votes {} accepted {}", n.votes.len(), n.accepted.len())
        }
        Pledge::Prepare(p) => format!(
            "PREPARE b=({}, {}) c={} h={}",
            p.ballot.counter,
            v(&p.ballot.value),
            p.n_c,
            p.n_h
        ),
        Pledge::Confirm(c) => format!(
            "CONFIRM b=({}, {}) c={} h={}",
            c.ballot.counter,
            v(&c.ballot.value),
            c.n_commit,
            c.n_h
        ),
        Pledge::Externalize(e) => {
            format!("EXTERNALIZE c=({}, {})", e.commit.counter, v(&e.commit.value))
        }
    };
    format!("slot {} from {}: {what}", st.slot, st.node_id.short())
}

impl Sim {
    /// Drains the SCP core's outputs of `i`, acting on each.
    pub(crate) fn flush(&mut self, i: usize) {
        while let Some(out) = self.nodes[i].scp.poll_output() {
            match out {
                mcnode_scp::Output::Emit(st) => self.emit(i, st),
                mcnode_scp::Output::SetTimer { deadline, .. } => {
                    let epoch = self.nodes[i].epoch;
                    self.schedule(deadline.as_millis(), Event::Wake { node: i, epoch });
                }
                mcnode_scp::Output::CancelTimer { .. } => {}
                mcnode_scp::Output::Externalized { slot, value } => {
                    self.on_externalized(i, slot, value);
                }
            }
            if !self.violations.is_empty() {
                return;
            }
        }
    }

    pub(crate) fn emit(&mut self, i: usize, st: Statement<TxHashSet>) {
        let n = &mut self.nodes[i];
        let which = usize::from(st.pledge.is_ballot());
        n.persisted.entry(st.slot).or_default()[which] = Some(st.clone());
        match n.behaviour {
            None => {
                let env = Envelope::statement(i, st);
                n.seen.insert(env.id, env_slot(&env));
                self.broadcast(i, &env, None);
            }
            Some(Behaviour::Silent) => {}
            Some(Behaviour::Replay) => {
                let env = Envelope::statement(i, st);
                self.broadcast(i, &env, None);
                for _ in 0..2 {
                    let len = self.nodes[i].history.len() as u64;
                    if len == 0 {
                        break;
                    }
                    let k = self.rng.below(len) as usize;
                    let old = Rc::clone(&self.nodes[i].history[k]);
                    self.broadcast(i, &old, None);
                }
                remember(&mut self.nodes[i].history, env, HISTORY);
            }
            Some(Behaviour::Equivocate) => {
                let alt = byzantine::map_values(&st, &byzantine::alternative_value);
                let a = Envelope::statement(i, st);
                let b = Envelope::statement(i, alt);
                for k in 0..self.neighbors[i].len() {
                    let to = self.neighbors[i][k];
                    let env = if k % 2 == 0 { &a } else { &b };
                    self.send(i, to, Rc::clone(env));
                }
            }
            Some(Behaviour::ConflictingValues) => {
                let fake = byzantine::map_values(&st, &byzantine::fake_value);
                self.broadcast(i, &Envelope::statement(i, fake), None);
            }
            Some(Behaviour::Garbage) => {
                for bytes in byzantine::garbage(&st, &mut self.rng) {
                    self.broadcast(i, &Envelope::raw(i, bytes), None);
                }
            }
        }
    }

    pub(crate) fn on_deliver(&mut self, to: usize, from: usize, env: Rc<Envelope>) {
        if !self.nodes[to].up {
            self.stats.to_crashed += 1;
            return;
        }
        if !self.nodes[to].active() {
            return;
        }
        match &env.body {
            Body::Scp(_) | Body::Raw(_) => self.on_statement(to, from, env),
            Body::Tx(h) => {
                let h = *h;
                self.add_pending(to, h, true);
            }
            Body::StateRequest { slot } => {
                let slot = *slot;
                self.on_state_request(to, from, slot);
            }
            Body::StateReply { height } => {
                if *height >= self.nodes[to].current() {
                    self.start_sync(to);
                }
            }
            Body::SyncRequest { from: first } => {
                let first = *first;
                self.on_sync_request(to, from, first);
            }
            Body::SyncReply { first, values, height } => {
                let (first, height) = (*first, *height);
                self.on_sync_reply(to, from, first, values, height);
            }
        }
    }

    pub(crate) fn on_statement(&mut self, to: usize, from: usize, env: Rc<Envelope>) {
        let n = &mut self.nodes[to];
        if n.seen.contains_key(&env.id) {
            self.stats.duplicates += 1;
            return;
        }
        let decoded;
        let st = match &env.body {
            Body::Scp(st) => st,
            Body::Raw(bytes) => match Statement::<TxHashSet>::from_canonical_bytes(bytes) {
                Ok(st) => {
                    decoded = st;
                    &decoded
                }
                Err(_) => {
                    n.seen.insert(env.id, n.current());
                    self.stats.malformed += 1;
                    return;
                }
            },
            _ => return,
        };
        // Authenticate before remembering the id, so a forged copy cannot suppress the genuine
        // message that has the same content.
        if st.node_id != self.nodes[env.origin].id {
            self.stats.forged += 1;
            return;
        }
        let slot = st.slot;
        if slot > self.nodes[to].current() + MAX_SLOTS_AHEAD {
            // The SCP core keeps state for any slot it is shown; the caller bounds the window
            // (a liar could otherwise make it hold millions of slots). Far-ahead statements only
            // tell the node it is behind; they are not remembered, so they count once caught up.
            self.stats.rejected += 1;
            self.start_sync(to);
            return;
        }
        let n = &mut self.nodes[to];
        n.seen.insert(env.id, slot);
        remember(&mut n.recent, Rc::clone(&env), RECENT);
        if n.behaviour == Some(Behaviour::Replay) {
            remember(&mut n.history, Rc::clone(&env), HISTORY);
        }
        n.max_seen_slot = n.max_seen_slot.max(slot);
        let is_nominate = matches!(st.pledge, Pledge::Nominate(_));
        let res = n.scp.handle_statement(Time(self.now), st.clone());
        let current = n.current();
        match res {
            Ok(()) => {
                if n.behaviour.is_none() {
                    self.broadcast(to, &env, Some(from));
                }
                if is_nominate && slot == current && self.nodes[to].nominated < slot {
                    self.join_nomination(to, st);
                }
            }
            Err(_) => self.stats.rejected += 1,
        }
        self.flush(to);
        if slot >= current + 2 {
            self.start_sync(to);
        }
        self.arm_stuck(to);
    }

    pub(crate) fn join_nomination(&mut self, i: usize, st: &Statement<TxHashSet>) {
        if !self.nodes[i].pending.is_empty() {
            let s = self.nodes[i].current();
            let value = self.pending_value(i);
            self.do_nominate(i, s, value);
            return;
        }
        let Pledge::Nominate(nom) = &st.pledge else { return };
        let s = st.slot;
        let n = &mut self.nodes[i];
        let pick = nom.accepted.iter().chain(&nom.votes).find_map(|v| {
            match n.scp.driver_mut().validate(s, v) {
                Validity::Valid => Some(v.clone()),
                _ => n.scp.driver_mut().extract_valid(s, v),
            }
        });
        if let Some(v) = pick {
            self.do_nominate(i, s, v);
        }
    }

    pub(crate) fn pending_value(&self, i: usize) -> TxHashSet {
        let k = self.cfg.max_values_per_slot;
        TxHashSet::from_hashes(self.nodes[i].pending.values().take(k).copied())
    }

    pub(crate) fn do_nominate(&mut self, i: usize, slot: SlotIndex, value: TxHashSet) {
        let n = &mut self.nodes[i];
        n.nominated = slot;
        let prev = n.chain.last().copied().unwrap_or_default();
        if n.scp.nominate(Time(self.now), slot, value, prev).is_err() {
            self.stats.rejected += 1;
        }
    }

    /// Nominates for the current slot if a full slot is pending or the interval has passed.
    pub(crate) fn try_nominate(&mut self, i: usize) {
        let n = &self.nodes[i];
        let s = n.current();
        if !n.active() || n.nominated >= s || n.pending.is_empty() {
            return;
        }
        let due = n.last_progress_ms + self.cfg.block_interval_ms;
        if n.pending.len() >= self.cfg.max_values_per_slot || self.now >= due {
            let value = self.pending_value(i);
            self.do_nominate(i, s, value);
        } else if n.cadence_for < s {
            let epoch = n.epoch;
            self.nodes[i].cadence_for = s;
            self.schedule(due, Event::Cadence { node: i, epoch });
        }
    }

    pub(crate) fn add_pending(&mut self, i: usize, h: Hash32, relay: bool) {
        let n = &mut self.nodes[i];
        if !n.active() || !n.known_tx.insert(h) {
            return;
        }
        n.pending_seq += 1;
        n.pending.insert(n.pending_seq, h);
        n.pending_pos.insert(h, n.pending_seq);
        if relay && n.behaviour.is_none() {
            let env = Envelope::direct(i, Body::Tx(h));
            self.broadcast(i, &env, None);
        }
        self.try_nominate(i);
        self.flush(i);
        self.arm_stuck(i);
    }

    fn on_externalized(&mut self, i: usize, slot: SlotIndex, value: TxHashSet) {
        let n = &mut self.nodes[i];
        let cur = n.current();
        if slot < cur {
            if n.ledger[(slot - 1) as usize] != value && n.behaviour.is_none() {
                let detail = format!(
                    "consensus decided slot {slot} differently from what the node took by ledger sync"
                );
                self.violation("self-contradiction", i, None, slot, detail);
            }
            return;
        }
        if slot > cur {
            n.buffered.insert(slot, value);
            self.start_sync(i);
            return;
        }
        self.append(i, slot, value, false);
        self.drain_buffered(i);
    }

    /// Appends externalized slots that were waiting for earlier ones.
    pub(crate) fn drain_buffered(&mut self, i: usize) {
        loop {
            let s = self.nodes[i].current();
            let Some(v) = self.nodes[i].buffered.remove(&s) else { break };
            self.append(i, s, v, false);
            if !self.violations.is_empty() {
                return;
            }
        }
    }

    /// Appends `value` as slot `slot` (the node's current slot) to `i`'s ledger.
    pub(crate) fn append(&mut self, i: usize, slot: SlotIndex, value: TxHashSet, synced: bool) {
        if self.nodes[i].behaviour.is_none()
            && let Err(f) = self.checker.check(&self.workload, i, slot, &value)
        {
            self.violation(f.kind, i, f.other, slot, f.detail);
            return;
        }
        let n = &mut self.nodes[i];
        n.scp.driver_mut().spend(slot, &value);
        let mut data = n.chain[n.chain.len() - 1].0.to_vec();
        value.encode(&mut data);
        n.chain.push(Hash32::digest(LEDGER_DOMAIN, &data));
        n.ledger_values += value.len() as u64;
        for &h in value.as_slice() {
            n.known_tx.insert(h);
            if let Some(pos) = n.pending_pos.remove(&h) {
                n.pending.remove(&pos);
            }
        }
        n.ledger.push(value);
        n.synced_slots += u64::from(synced);
        n.scp.purge_slots_below(slot);
        n.persisted.retain(|s, _| *s > slot);
        if slot.is_multiple_of(8) {
            n.seen.retain(|_, s| *s + 1 >= slot);
        }
        n.last_progress_ms = self.now;
        self.check_done = true;
        self.try_nominate(i);
        self.arm_stuck(i);
    }

    pub(crate) fn violation(
        &mut self,
        kind: &'static str,
        i: usize,
        other: Option<usize>,
        slot: SlotIndex,
        detail: String,
    ) {
        let involved: Vec<usize> = std::iter::once(i).chain(other).collect();
        let mut last = Vec::new();
        for k in &involved {
            for env in &self.nodes[*k].recent {
                if let Body::Scp(st) = &env.body {
                    last.push(format!("{} received {}", self.nodes[*k].label, describe(st)));
                }
            }
        }
        self.violations.push(Violation {
            kind,
            seed: self.cfg.seed,
            slot,
            nodes: involved.iter().map(|k| self.nodes[*k].label.clone()).collect(),
            at_ms: self.now,
            detail,
            last_messages: last,
        });
    }
}

fn env_slot(env: &Envelope) -> SlotIndex {
    match &env.body {
        Body::Scp(st) => st.slot,
        _ => 0,
    }
}

pub(crate) fn remember(q: &mut VecDeque<Rc<Envelope>>, env: Rc<Envelope>, cap: usize) {
    if q.len() == cap {
        q.pop_front();
    }
    q.push_back(env);
}

#[cfg(test)]
mod tests {
    use mcnode_scp::{Nominate, Pledge, Statement, TxHashSet};
    use mcnode_types::Hash32;

    use crate::engine::{Envelope, Sim};
    use crate::{SimConfig, Topology};

    fn nominate_from(sim: &Sim, from: usize, slot: u64) -> Statement<TxHashSet> {
        Statement {
            node_id: sim.nodes[from].id,
            slot,
            quorum_set_hash: sim.nodes[from].qset.hash(),
            pledge: Pledge::Nominate(Nominate {
                votes: vec![TxHashSet::from_hashes([Hash32([5; 32])])],
                accepted: vec![],
            }),
        }
    }

    #[test]
    fn statements_far_ahead_are_not_handed_to_the_scp_core() {
        let topo = Topology::generate("mesh:3:2").unwrap().unwrap();
        let mut sim = Sim::new(SimConfig::quick(topo, 0, 10, 1));
        let near = nominate_from(&sim, 1, 1 + super::MAX_SLOTS_AHEAD);
        sim.on_deliver(0, 1, Envelope::statement(1, near));
        assert_eq!(sim.nodes[0].scp.slots(), vec![1 + super::MAX_SLOTS_AHEAD]);
        let far = nominate_from(&sim, 1, 2 + super::MAX_SLOTS_AHEAD);
        sim.on_deliver(0, 1, Envelope::statement(1, far));
        assert_eq!(sim.nodes[0].scp.slots(), vec![1 + super::MAX_SLOTS_AHEAD]);
        assert!(sim.nodes[0].sync.active, "a far-ahead statement starts ledger sync");
    }

    #[test]
    fn forged_and_duplicate_statements_are_dropped_before_the_core() {
        let topo = Topology::generate("mesh:3:2").unwrap().unwrap();
        let mut sim = Sim::new(SimConfig::quick(topo, 0, 10, 1));
        // Signed by node 2 but arriving with origin node 1: a forgery.
        let st = nominate_from(&sim, 2, 1);
        sim.on_deliver(0, 1, Envelope::statement(1, st.clone()));
        assert_eq!(sim.stats.forged, 1);
        assert!(sim.nodes[0].scp.slots().is_empty());
        let env = Envelope::statement(2, st);
        sim.on_deliver(0, 2, std::rc::Rc::clone(&env));
        sim.on_deliver(0, 1, env);
        assert_eq!(sim.stats.duplicates, 1);
        assert_eq!(sim.nodes[0].scp.slots(), vec![1]);
    }
}
