//! One simulated node: the node's real engine ([`mcnode_node::engine::Engine`]) with what its
//! runtime keeps around it (ledger of signed blocks, persisted last statements, the bodies its
//! enclave has seen), and how the simulator carries out the engine's actions over simulated
//! links.
//!
//! Everything honest is the engine's: pool, block cadence, joining a peer's nomination,
//! signed envelopes and their drop rules, flooding with dedup, relay of transactions, fetching
//! bodies, re-broadcast, answers to (re)connected and lagging peers, catch-up by signed
//! blocks, and restart from persisted statements. The simulator only moves bytes, forms
//! blocks from hashes ([`crate::enclave`]), fires timers at [`Engine::next_deadline`], checks
//! invariants when a ledger grows, and rewrites the outgoing messages of Byzantine nodes
//! ([`crate::byzantine`]).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use mcnode_crypto::SigningIdentity;
use mcnode_ledger::block::BlockData;
use mcnode_node::engine::auth::SimMacAuth;
use mcnode_node::engine::{Action, DropCounters, Engine, Input, ScpEnvelope, Wire};
use mcnode_scp::{Pledge, QuorumSet, Statement, Time, TxHashSet};
use mcnode_types::{Decode, Encode, Hash32, NodeId, SlotIndex};

use crate::byzantine::Behaviour;
use crate::driver::PrehashedHasher;
use crate::enclave::{self, block_value, pooled};
use crate::engine::{Body, Envelope, Event, Sim};
use crate::report::Violation;

type FastSet<K> = HashSet<K, std::hash::BuildHasherDefault<PrehashedHasher>>;

/// Domain tag of the per-node ledger chain digest.
pub const LEDGER_DOMAIN: &[u8] = b"mcnode-sim-ledger";
/// Messages kept per node for violation reports.
const RECENT: usize = 4;
/// Most peers asked at once for transaction bodies.
const FETCH_FANOUT: usize = 2;

pub(crate) struct SimNode {
    pub key: String,
    pub label: String,
    pub id: NodeId,
    pub qset: QuorumSet,
    pub behaviour: Option<Behaviour>,
    pub up: bool,
    pub epoch: u32,
    /// `None` while crashed.
    pub engine: Option<Engine>,
    pub auth: Arc<SimMacAuth>,
    pub block_key: SigningIdentity,
    /// Signed blocks, `blocks[0]` the origin.
    pub blocks: Vec<BlockData>,
    /// `ledger[s - 1]` is the value of slot `s`.
    pub ledger: Vec<TxHashSet>,
    /// `chain[s]` is the digest after slot `s` (`chain[0]` is genesis).
    pub chain: Vec<Hash32>,
    pub ledger_values: u64,
    pub synced_slots: u64,
    /// The last own statements the engine asked to persist (survive a crash).
    pub persisted: Vec<Statement<TxHashSet>>,
    /// Transaction bodies this node's enclave has seen (answers `GetTxs`; lost at a crash).
    pub known_tx: FastSet<Hash32>,
    /// Earliest scheduled timer wake-up of this epoch.
    pub wake_at: Option<u64>,
    /// Ledger length when the running catch-up began.
    pub catchup_from: Option<u64>,
    /// Old messages a `replay` or `lying-sync` liar keeps to resend.
    pub history: Vec<Wire>,
    pub recent: VecDeque<Wire>,
    /// Lies told, by kind (liars only).
    pub lies: BTreeMap<String, u64>,
    /// Flood messages sent (`garbage` liars).
    pub flood_sent: u64,
}

impl SimNode {
    pub(crate) fn current(&self) -> SlotIndex {
        self.ledger.len() as SlotIndex + 1
    }

    pub(crate) fn active(&self) -> bool {
        self.up && self.behaviour != Some(Behaviour::Silent)
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

pub(crate) fn remember<T>(q: &mut VecDeque<T>, item: T, cap: usize) {
    if q.len() == cap {
        q.pop_front();
    }
    q.push_back(item);
}

impl Sim {
    /// Hands `input` to node `i`'s engine (if it runs) and carries out what follows.
    pub(crate) fn input(&mut self, i: usize, input: Input) {
        let now = Time(self.now);
        let Some(e) = self.nodes[i].engine.as_mut() else { return };
        // A refused input (duplicate or over-capacity transaction, ...) changes nothing.
        let _ = e.handle(now, input);
        self.pump(i);
    }

    /// Carries out every queued action of node `i`, then schedules its next timer.
    pub(crate) fn pump(&mut self, i: usize) {
        loop {
            if !self.violations.is_empty() {
                return;
            }
            let Some(action) = self.nodes[i].engine.as_mut().and_then(Engine::poll_action) else {
                break;
            };
            self.act(i, action);
        }
        let Some(deadline) = self.nodes[i].engine.as_ref().and_then(Engine::next_deadline) else {
            return;
        };
        let d = deadline.as_millis().max(self.now);
        let n = &mut self.nodes[i];
        if n.wake_at.is_none_or(|w| d < w) {
            n.wake_at = Some(d);
            let epoch = n.epoch;
            self.schedule(d, Event::Wake { node: i, epoch });
        }
    }

    /// A timer wake-up of node `i` at `self.now`.
    pub(crate) fn on_wake(&mut self, i: usize) {
        if self.nodes[i].wake_at != Some(self.now) {
            return; // superseded by an earlier one
        }
        self.nodes[i].wake_at = None;
        let now = Time(self.now);
        if let Some(e) = self.nodes[i].engine.as_mut() {
            e.handle_due_timers(now);
        }
        self.pump(i);
    }

    fn index_of(&self, id: &NodeId) -> Option<usize> {
        self.id_index.get(id).copied()
    }

    fn act(&mut self, i: usize, action: Action) {
        match action {
            Action::Send { to, msg } => {
                if let Some(to) = self.index_of(&to) {
                    self.send_own(i, Some(to), msg);
                }
            }
            Action::Broadcast { msg, except } if except.is_empty() => self.send_own(i, None, msg),
            Action::Broadcast { msg, except } => {
                // Relaying others' messages is honest work; liars do not relay.
                if self.nodes[i].behaviour.is_none() {
                    let env = Envelope::scp(msg);
                    let skip: Vec<usize> =
                        except.iter().filter_map(|id| self.index_of(id)).collect();
                    self.broadcast(i, &env, &skip);
                }
            }
            Action::RelayTx { hash, to } => {
                if self.nodes[i].behaviour.is_none() {
                    let env = Envelope::direct(Body::Tx(hash));
                    let to: Vec<usize> = to.iter().filter_map(|id| self.index_of(id)).collect();
                    for p in to {
                        self.send(i, p, Rc::clone(&env));
                    }
                }
            }
            Action::FetchTxs { from, hashes } => {
                let env = Envelope::direct(Body::GetTxs(hashes));
                let from: Vec<usize> =
                    from.iter().filter_map(|id| self.index_of(id)).take(FETCH_FANOUT).collect();
                for p in from {
                    self.send(i, p, Rc::clone(&env));
                }
            }
            Action::FormBlock { txs, .. } => {
                let hashes: Vec<Hash32> = txs.iter().map(|t| t.context.tx_hash).collect();
                let n = &self.nodes[i];
                let parent = &n.blocks[n.blocks.len() - 1].block;
                let data = enclave::form_block(parent, &hashes, &n.block_key, self.now);
                self.append(i, data, false);
            }
            Action::FetchBlocks { from, range } => {
                let env = Envelope::direct(Body::GetBlocks(range));
                let from: Vec<usize> = from.iter().filter_map(|id| self.index_of(id)).collect();
                for p in from {
                    self.send(i, p, Rc::clone(&env));
                }
            }
            Action::AppendBlock { block } => self.append(i, block, true),
            Action::PersistStatements { statements, .. } => {
                self.nodes[i].persisted = statements;
            }
            Action::SetTimer { .. } | Action::CancelTimer { .. } => {} // via next_deadline
            Action::Serving(serving) => self.on_serving(i, serving),
            // The simulator gives every node the quorum sets of the others.
            Action::FetchQuorumSet { .. } => {}
        }
    }

    fn on_serving(&mut self, i: usize, serving: bool) {
        let n = &mut self.nodes[i];
        if !serving {
            n.catchup_from.get_or_insert(n.ledger.len() as u64 + 1);
            return;
        }
        let Some(a) = n.catchup_from.take() else { return };
        let b = n.ledger.len() as u64;
        if b < a {
            return;
        }
        let (label, cur) = (n.label.clone(), n.current());
        self.note(format!(
            "{label} caught up slots {a}-{b} by fetching blocks signed by a quorum slice of its peers; it rejoins consensus at slot {cur}"
        ));
    }

    /// An own message of node `i`, to `to` or to every neighbor, as its behaviour has it.
    fn send_own(&mut self, i: usize, to: Option<usize>, msg: Wire) {
        let wires = match self.nodes[i].behaviour {
            None => vec![(msg, None, false)],
            Some(b) => self.byzantine_rewrite(i, b, msg, to.is_some()),
        };
        for (wire, parity, lie) in wires {
            let env = if lie { Envelope::lie(wire) } else { Envelope::scp(wire) };
            match (to, parity) {
                (Some(t), _) => self.send(i, t, env),
                (None, None) => self.broadcast(i, &env, &[]),
                (None, Some(p)) => {
                    for k in (p..self.neighbors[i].len()).step_by(2) {
                        let t = self.neighbors[i][k];
                        self.send(i, t, Rc::clone(&env));
                    }
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
        let from_id = self.nodes[from].id;
        match &env.body {
            Body::Scp(wire) => {
                let n = &mut self.nodes[to];
                remember(&mut n.recent, wire.clone(), RECENT);
                let honest = n.behaviour.is_none();
                if n.behaviour == Some(Behaviour::Replay) {
                    self.keep_history(to, wire.clone());
                }
                let before = (env.lie && honest)
                    .then(|| self.nodes[to].engine.as_ref().map(|e| e.drops().clone()))
                    .flatten();
                self.input(to, Input::PeerMessage { from: from_id, bytes: wire.to_vec() });
                if let Some(before) = before {
                    self.record_lie_outcome(to, &before);
                }
            }
            Body::Tx(h) => {
                let h = *h;
                self.nodes[to].known_tx.insert(h);
                let tx = pooled(h);
                let input =
                    Input::PeerTx { from: from_id, context: tx.context, payload: tx.payload };
                self.input(to, input);
            }
            Body::GetTxs(hashes) => {
                let n = &self.nodes[to];
                let have: Vec<Hash32> =
                    hashes.iter().filter(|h| n.known_tx.contains(*h)).copied().collect();
                if !have.is_empty() {
                    self.send(to, from, Envelope::direct(Body::Txs(have)));
                }
            }
            Body::Txs(hashes) => {
                let n = &mut self.nodes[to];
                n.known_tx.extend(hashes.iter().copied());
                let txs = hashes.iter().map(|h| pooled(*h)).collect();
                self.input(to, Input::TxsFetched { from: from_id, txs });
            }
            Body::GetBlocks(range) => self.on_get_blocks(to, from, range.clone()),
            Body::Blocks(blocks) => {
                let blocks = blocks.clone();
                let judged =
                    self.nodes[from].behaviour.is_some() && self.nodes[to].behaviour.is_none();
                let stats = |sim: &Sim| {
                    sim.nodes[to]
                        .engine
                        .as_ref()
                        .map(|e| (e.stats().blocks_refused, e.stats().blocks_appended))
                };
                let before = stats(self);
                self.input(to, Input::BlocksFetched { from: from_id, blocks });
                if judged && let (Some(b), Some(a)) = (before, stats(self)) {
                    *self.lie_outcomes.entry("block-answer-delivered".into()).or_insert(0) += 1;
                    *self.lie_outcomes.entry("block-refused".into()).or_insert(0) += a.0 - b.0;
                    *self.lie_outcomes.entry("block-appended".into()).or_insert(0) += a.1 - b.1;
                }
            }
        }
    }

    /// A client submits `h` to node `i`.
    pub(crate) fn submit_to(&mut self, i: usize, h: Hash32) {
        if !self.nodes[i].active() {
            return;
        }
        self.nodes[i].known_tx.insert(h);
        let tx = pooled(h);
        self.input(i, Input::ClientTx { context: tx.context, payload: tx.payload });
    }

    /// Node `i`'s runtime appends `data` (formed by its enclave, or fetched in catch-up) and
    /// tells the engine.
    fn append(&mut self, i: usize, data: BlockData, synced: bool) {
        let slot = data.block.index;
        let value = block_value(&data);
        if self.judged(i)
            && let Err(f) = self.checker.check(&self.workload, i, slot, &value)
        {
            self.violation(f.kind, i, f.other, slot, f.detail);
            return;
        }
        let n = &mut self.nodes[i];
        let mut digest = n.chain[n.chain.len() - 1].0.to_vec();
        value.encode(&mut digest);
        n.chain.push(Hash32::digest(LEDGER_DOMAIN, &digest));
        n.ledger_values += value.len() as u64;
        n.known_tx.extend(value.as_slice().iter().copied());
        n.ledger.push(value);
        n.synced_slots += u64::from(synced);
        n.blocks.push(data.clone());
        self.check_done = true;
        let now = Time(self.now);
        if let Some(e) = self.nodes[i].engine.as_mut() {
            // The engine asked for exactly this block; a refusal would be an engine bug the
            // agreement checks would show.
            let _ = e.handle(now, Input::BlockAppended { block: data });
        }
    }

    /// Records what honest node `i`'s engine did with the lie it was just handed, given its
    /// drop counters `before`.
    fn record_lie_outcome(&mut self, i: usize, before: &DropCounters) {
        let Some(e) = self.nodes[i].engine.as_ref() else { return };
        let cause = e.drops().iter().find(|(c, n)| *n > before.get(*c)).map(|(c, _)| c);
        let key = cause.map_or("processed", |c| c.label());
        match self.lie_outcomes.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                self.lie_outcomes.insert(key.to_string(), 1);
            }
        }
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
            for w in &self.nodes[*k].recent {
                if let Ok(env) = ScpEnvelope::from_canonical_bytes(w) {
                    let text = describe(&env.statement);
                    last.push(format!("{} received {text}", self.nodes[*k].label));
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

#[cfg(test)]
mod tests {
    use mcnode_node::engine::{DropCause, ScpEnvelope};
    use mcnode_scp::{Nominate, Pledge, Statement, TxHashSet};
    use mcnode_types::Hash32;

    use crate::engine::{Envelope, Sim};
    use crate::{SimConfig, Topology};

    fn nominate_from(sim: &Sim, from: usize) -> Statement<TxHashSet> {
        Statement {
            node_id: sim.nodes[from].id,
            slot: 1,
            quorum_set_hash: sim.nodes[from].qset.hash(),
            pledge: Pledge::Nominate(Nominate {
                votes: vec![TxHashSet::from_hashes([Hash32([5; 32])])],
                accepted: vec![],
            }),
        }
    }

    fn drops(sim: &Sim, i: usize, cause: DropCause) -> u64 {
        sim.nodes[i].engine.as_ref().map_or(0, |e| e.drops().get(cause))
    }

    #[test]
    fn forged_and_duplicate_statements_are_dropped_by_the_engines_rules() {
        let topo = Topology::generate("mesh:3:2").unwrap().unwrap();
        let mut sim = Sim::new(SimConfig::quick(topo, 0, 10, 1));
        let tip = sim.nodes[0].blocks[0].block.id;
        let chain = crate::enclave::SIM_CHAIN_ID;
        // Node 2 signs a statement that claims node 1: a forgery, whoever delivers it.
        let st = nominate_from(&sim, 1);
        let forged = ScpEnvelope::sign_with(&*sim.nodes[2].auth, chain, tip, st.clone());
        sim.on_deliver(0, 2, Envelope::scp(forged.to_wire()));
        assert_eq!(drops(&sim, 0, DropCause::BadSignature), 1);
        let seen = |sim: &Sim| {
            sim.nodes[0]
                .engine
                .as_ref()
                .is_some_and(|e| e.peer_slots().contains_key(&sim.nodes[1].id))
        };
        assert!(!seen(&sim), "a forgery tells the engine nothing");
        // The genuine statement is not suppressed by the forgery, and a second copy is a duplicate.
        let genuine = ScpEnvelope::sign_with(&*sim.nodes[1].auth, chain, tip, st).to_wire();
        sim.on_deliver(0, 1, Envelope::scp(genuine.clone()));
        sim.on_deliver(0, 2, Envelope::scp(genuine));
        assert_eq!(drops(&sim, 0, DropCause::Duplicate), 1);
        assert!(seen(&sim), "the genuine statement was processed");
    }
}
