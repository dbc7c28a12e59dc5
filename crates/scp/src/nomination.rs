//! The nomination protocol (SCP paper §6.1, draft-mazieres-dinrg-scp §2.2).
//!
//! Rules implemented here, each with a test in `tests/nomination.rs`:
//! - **Leaders** (draft §2.2.1): in round `n` a node computes, for itself and every node of its
//!   quorum set (with itself removed), `neighbor = H_N(slot, prev, n, node) <= weight(node)`
//!   and `priority = H_P(slot, prev, n, node)`; the neighbor with the highest priority joins the
//!   leader set. Leaders *accumulate* across rounds (stellar-core PR #1975). The local node's
//!   weight is the maximum; others' is `threshold / entries` multiplied down the nesting
//!   levels. If a round adds no new leader it is skipped at once (the "fast timeout",
//!   stellar-core PR #2648).
//! - **Voting**: a leader votes for its own value only while it has no votes; from each
//!   leader's latest NOMINATE a node adopts the valid value with the highest
//!   `H_K(slot, prev, n, value)`, preferring the leader's accepted values.
//! - **Federated voting** on "value is nominated": accept when a v-blocking set accepted or a
//!   quorum voted/accepted; a value accepted becomes a *candidate* when a quorum accepted it.
//! - Once a candidate exists the node stops voting for new values and stops the round timer;
//!   every new candidate recomputes the composite value with the caller's `combine`, which is
//!   handed to the ballot protocol.
//! - Round `n` lasts `nomination_timeout_base + (n-1) * increment` (configuration).

use std::collections::BTreeSet;

use mcnode_types::{Encode, Hash32, NodeId};

use crate::context::{Ctx, StatementError, TimerId, TimerKind};
use crate::driver::{Driver, Validity};
use crate::federated::{Recorded, federated_accept, federated_ratify};
use crate::slot::Slot;
use crate::statement::{Nominate, Pledge, Statement};
use crate::{QuorumSet, Value};

/// Domain tag of the "is a neighbor" hash (`H_N`).
pub const NEIGHBOR_DOMAIN: &[u8] = b"mcnode-scp-nomination-neighbor-v1";
/// Domain tag of the leader priority hash (`H_P`).
pub const PRIORITY_DOMAIN: &[u8] = b"mcnode-scp-nomination-priority-v1";
/// Domain tag of the value priority hash (`H_K`).
pub const VALUE_DOMAIN: &[u8] = b"mcnode-scp-nomination-value-v1";

/// Safety bound on rounds skipped in one leader update (stellar-core uses 1000 too).
const MAX_FAST_ROUNDS: u32 = 1000;

/// The first 8 bytes, big-endian, of `H(domain, slot ‖ prev ‖ round ‖ item)`.
pub fn priority_hash(
    domain: &[u8],
    slot: u64,
    previous: &Hash32,
    round: u32,
    item: &impl Encode,
) -> u64 {
    let mut data = Vec::with_capacity(80);
    slot.encode(&mut data);
    previous.encode(&mut data);
    round.encode(&mut data);
    item.encode(&mut data);
    let h = Hash32::digest(domain, &data);
    let mut first = [0u8; 8];
    first.copy_from_slice(&h.0[..8]);
    u64::from_be_bytes(first)
}

/// Nomination state of one slot.
#[derive(Clone, Debug)]
pub(crate) struct NominationState<V> {
    pub started: bool,
    pub round: u32,
    pub previous: Hash32,
    /// The value the local node proposes, kept for the round timer.
    pub own_value: Option<V>,
    pub votes: BTreeSet<V>,
    pub accepted: BTreeSet<V>,
    pub candidates: BTreeSet<V>,
    pub leaders: BTreeSet<NodeId>,
    pub latest: crate::federated::Latest<V>,
    /// The newest NOMINATE the local node produced.
    pub last_own: Option<Statement<V>>,
    pub timer_expirations: u32,
}

impl<V> Default for NominationState<V> {
    fn default() -> Self {
        NominationState {
            started: false,
            round: 0,
            previous: Hash32::ZERO,
            own_value: None,
            votes: BTreeSet::new(),
            accepted: BTreeSet::new(),
            candidates: BTreeSet::new(),
            leaders: BTreeSet::new(),
            latest: Default::default(),
            last_own: None,
            timer_expirations: 0,
        }
    }
}

/// The local quorum set as nomination weighs it: without the local node (stellar-core
/// `normalizeQSet(qset, self)`), thresholds lowered where it was removed.
pub(crate) fn qset_without(q: &QuorumSet, node: &NodeId) -> QuorumSet {
    let mut validators = Vec::with_capacity(q.validators.len());
    let mut threshold = q.threshold;
    for v in &q.validators {
        if v == node {
            threshold = threshold.saturating_sub(1);
        } else {
            validators.push(*v);
        }
    }
    let inner_sets = q.inner_sets.iter().map(|i| qset_without(i, node)).collect();
    QuorumSet { threshold, validators, inner_sets }
}

impl<V: Value> Slot<V> {
    fn nomination_weight(&self, qset: &QuorumSet, local: &NodeId, node: &NodeId) -> u64 {
        if node == local { u64::MAX } else { qset.node_weight(node) }
    }

    fn node_priority(&self, qset: &QuorumSet, local: &NodeId, node: &NodeId) -> u64 {
        let w = self.nomination_weight(qset, local, node);
        let n = &self.nom;
        if w > 0 && priority_hash(NEIGHBOR_DOMAIN, self.index, &n.previous, n.round, node) <= w {
            priority_hash(PRIORITY_DOMAIN, self.index, &n.previous, n.round, node)
        } else {
            0
        }
    }

    fn value_hash(&self, value: &V) -> u64 {
        priority_hash(VALUE_DOMAIN, self.index, &self.nom.previous, self.nom.round, value)
    }

    /// Adds the highest-priority neighbor of the current round to the leaders, skipping rounds
    /// that would add nobody new.
    fn update_round_leaders<D>(&mut self, ctx: &Ctx<'_, V, D>) {
        let local = ctx.local_id;
        let qset = qset_without(ctx.qset, &local);
        let others: Vec<NodeId> = qset.nodes().into_iter().filter(|n| *n != local).collect();
        let max_leaders =
            1 + others.iter().filter(|n| self.nomination_weight(&qset, &local, n) > 0).count();
        let mut fast_rounds = 0;
        while self.nom.leaders.len() < max_leaders && fast_rounds < MAX_FAST_ROUNDS {
            let mut top = self.node_priority(&qset, &local, &local);
            let mut round_leaders = BTreeSet::from([local]);
            for n in &others {
                let p = self.node_priority(&qset, &local, n);
                if p > top {
                    top = p;
                    round_leaders.clear();
                }
                if p == top && p > 0 {
                    round_leaders.insert(*n);
                }
            }
            if top == 0 {
                round_leaders.clear();
            }
            let before = self.nom.leaders.len();
            self.nom.leaders.extend(round_leaders);
            if self.nom.leaders.len() != before {
                return;
            }
            self.nom.round += 1;
            fast_rounds += 1;
        }
    }

    /// The value to adopt from a leader's nomination: the valid (or extracted valid) value with
    /// the highest value hash among its accepted values, else among its votes, that the node
    /// does not already vote for.
    fn new_value_from_nomination<D: Driver<V>>(
        &self,
        ctx: &mut Ctx<'_, V, D>,
        nom: &Nominate<V>,
    ) -> Option<V> {
        let mut best: Option<(u64, V)> = None;
        let mut found_valid = false;
        for (pass, list) in [(0, &nom.accepted), (1, &nom.votes)] {
            if pass == 1 && found_valid {
                break;
            }
            for value in list {
                let candidate = match ctx.driver.validate(self.index, value) {
                    Validity::Valid => Some(value.clone()),
                    _ => ctx.driver.extract_valid(self.index, value),
                };
                let Some(c) = candidate else { continue };
                found_valid = true;
                if self.nom.votes.contains(&c) {
                    continue;
                }
                let h = self.value_hash(&c);
                if best.as_ref().is_none_or(|(bh, _)| h >= *bh) {
                    best = Some((h, c));
                }
            }
        }
        best.map(|(_, v)| v)
    }

    /// `nominate(value, previous)` from the caller (`timed_out == false`) or from the round
    /// timer (`true`): next round, leaders, votes, timer (draft §2.2).
    pub(crate) fn nominate<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        value: V,
        previous: Hash32,
        timed_out: bool,
    ) -> bool {
        if !self.nom.candidates.is_empty() {
            return false;
        }
        if timed_out {
            self.nom.timer_expirations += 1;
            if !self.nom.started {
                return false;
            }
        } else if self.nom.started {
            // The caller nominates again (say, with more transactions): keep the round and
            // its timer; the new value is what this node proposes from now on, and a leader
            // still without votes votes for it at once.
            self.nom.own_value = Some(value.clone());
            if self.nom.leaders.contains(&ctx.local_id) && self.nom.votes.is_empty() {
                self.nom.votes.insert(value);
                self.emit_nomination(ctx);
                return true;
            }
            return false;
        }
        self.nom.started = true;
        self.nom.previous = previous;
        self.nom.own_value = Some(value.clone());
        self.nom.round += 1;
        self.update_round_leaders(ctx);
        let mut updated = false;
        let leaders: Vec<NodeId> = self.nom.leaders.iter().copied().collect();
        for leader in leaders {
            let nom = match self.nom.latest.get(&leader).map(|r| &r.st.pledge) {
                Some(Pledge::Nominate(n)) => n.clone(),
                _ => continue,
            };
            if let Some(v) = self.new_value_from_nomination(ctx, &nom) {
                self.nom.votes.insert(v);
                updated = true;
            }
        }
        if self.nom.leaders.contains(&ctx.local_id) && self.nom.votes.is_empty() {
            self.nom.votes.insert(value);
            updated = true;
        }
        let timeout = ctx.config.nomination_timeout(self.nom.round);
        ctx.set_timer(TimerId { slot: self.index, kind: TimerKind::Nomination }, timeout);
        if updated {
            self.emit_nomination(ctx);
        }
        updated
    }

    /// The caller's `stop_nomination`, or externalization.
    pub(crate) fn stop_nomination<D>(&mut self, ctx: &mut Ctx<'_, V, D>) {
        self.nom.started = false;
        ctx.stop_timer(TimerId { slot: self.index, kind: TimerKind::Nomination });
    }

    /// Builds the local NOMINATE from the current votes and accepted values, runs it through
    /// the local node's own processing, and emits it if it is newer than the last one.
    fn emit_nomination<D: Driver<V>>(&mut self, ctx: &mut Ctx<'_, V, D>) {
        let st = Statement {
            node_id: ctx.local_id,
            slot: self.index,
            quorum_set_hash: ctx.qset_hash,
            pledge: Pledge::Nominate(Nominate {
                votes: self.nom.votes.iter().cloned().collect(),
                accepted: self.nom.accepted.iter().cloned().collect(),
            }),
        };
        let rec = Recorded { st: st.clone(), idx: ctx.local_idx, qset: ctx.local.clone() };
        if self.process_nomination(ctx, rec).is_err() {
            // Our own statement is always newer than what we recorded for ourselves; if it is
            // not, we already emitted a statement at least as new.
            return;
        }
        let newer = match &self.nom.last_own {
            None => true,
            Some(old) => st.pledge.is_newer_than(&old.pledge),
        };
        if newer {
            self.nom.last_own = Some(st.clone());
            if self.fully_validated {
                ctx.out.push_back(crate::Output::Emit(st));
            }
        }
    }

    /// Processes a NOMINATE (the local node's own or a peer's): records it, then runs the
    /// accept and confirm steps if nomination has started.
    pub(crate) fn process_nomination<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        rec: Recorded<V>,
    ) -> Result<(), StatementError> {
        let Pledge::Nominate(nom) = &rec.st.pledge else {
            return Err(StatementError::NotNewer);
        };
        if let Some(old) = self.nom.latest.get(&rec.st.node_id)
            && !rec.st.pledge.is_newer_than(&old.st.pledge)
        {
            return Err(StatementError::NotNewer);
        }
        let nom = nom.clone();
        let sender = rec.st.node_id;
        self.nom.latest.insert(sender, rec);
        if !self.nom.started {
            return Ok(());
        }
        let mut modified = false;
        let mut new_candidates = false;
        for v in &nom.votes {
            if self.nom.accepted.contains(v) {
                continue;
            }
            let accepted = federated_accept(
                ctx.local,
                &self.nom.latest,
                |st| nominate_of(st).is_some_and(|n| n.votes.binary_search(v).is_ok()),
                |st| nominate_of(st).is_some_and(|n| n.accepted.binary_search(v).is_ok()),
            );
            if !accepted {
                continue;
            }
            match ctx.driver.validate(self.index, v) {
                Validity::Valid => {
                    self.nom.accepted.insert(v.clone());
                    self.nom.votes.insert(v.clone());
                    modified = true;
                }
                _ => {
                    if let Some(x) = ctx.driver.extract_valid(self.index, v)
                        && self.nom.votes.insert(x)
                    {
                        modified = true;
                    }
                }
            }
        }
        let accepted: Vec<V> = self.nom.accepted.iter().cloned().collect();
        for a in accepted {
            if self.nom.candidates.contains(&a) {
                continue;
            }
            let confirmed = federated_ratify(ctx.local, &self.nom.latest, |st| {
                nominate_of(st).is_some_and(|n| n.accepted.binary_search(&a).is_ok())
            });
            if confirmed {
                self.nom.candidates.insert(a);
                new_candidates = true;
                ctx.stop_timer(TimerId { slot: self.index, kind: TimerKind::Nomination });
            }
        }
        if self.nom.candidates.is_empty()
            && self.nom.leaders.contains(&sender)
            && let Some(v) = self.new_value_from_nomination(ctx, &nom)
        {
            self.nom.votes.insert(v);
            modified = true;
        }
        if modified {
            self.emit_nomination(ctx);
        }
        if new_candidates {
            let cands: Vec<V> = self.nom.candidates.iter().cloned().collect();
            if let Some(composite) = ctx.driver.combine(self.index, &cands) {
                self.bal.composite = Some(composite.clone());
                self.bump_state(ctx, composite, false);
            }
        }
        Ok(())
    }

    /// Restores nomination state from the local node's own last NOMINATE.
    pub(crate) fn restore_nomination(&mut self, rec: Recorded<V>) -> bool {
        if self.nom.started || self.nom.latest.contains_key(&rec.st.node_id) {
            return false;
        }
        if let Pledge::Nominate(n) = &rec.st.pledge {
            self.nom.votes.extend(n.votes.iter().cloned());
            self.nom.accepted.extend(n.accepted.iter().cloned());
        }
        self.nom.last_own = Some(rec.st.clone());
        self.nom.latest.insert(rec.st.node_id, rec);
        true
    }
}

fn nominate_of<V>(st: &Statement<V>) -> Option<&Nominate<V>> {
    match &st.pledge {
        Pledge::Nominate(n) => Some(n),
        _ => None,
    }
}
