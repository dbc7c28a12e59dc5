//! The node: one local SCP participant running any number of slots.
//!
//! Inputs are method calls that each take `now`; outputs queue up and are taken with
//! [`Node::poll_output`] (or [`Node::drain_outputs`]). Nothing here blocks, sleeps, reads a
//! clock or draws randomness, so the same inputs always give the same outputs.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use mcnode_types::{Hash32, NodeId, SlotIndex};

use crate::compiled::{Compiled, NodeIndex};
use crate::driver::{Driver, Validity};
use crate::federated::Recorded;
use crate::quorum_set::{QuorumSet, QuorumSetError};
use crate::slot::Slot;
use crate::statement::{Pledge, Statement};
use crate::{ScpConfig, Time, Value};

use crate::context::Ctx;
pub use crate::context::{
    NominateError, Output, Phase, RestoreError, SlotInfo, StatementError, TimerId, TimerKind,
};

/// One SCP participant: its identity, quorum set, configuration, the application's
/// [`Driver`], and the state of every slot it has heard of. `Clone` (a snapshot, for
/// simulators) and `Send + Sync` when `V` and `D` are.
#[derive(Clone)]
pub struct Node<V, D> {
    local_id: NodeId,
    qset: Arc<QuorumSet>,
    qset_hash: Hash32,
    local: Arc<Compiled>,
    local_idx: u32,
    index: NodeIndex,
    config: ScpConfig,
    driver: D,
    qsets: HashMap<Hash32, (Arc<QuorumSet>, Arc<Compiled>)>,
    slots: BTreeMap<SlotIndex, Slot<V>>,
    out: VecDeque<Output<V>>,
    timers: BTreeMap<TimerId, Time>,
    oldest: SlotIndex,
    depth_limit_hits: u64,
}

impl<V: std::fmt::Debug, D> std::fmt::Debug for Node<V, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("local_id", &self.local_id)
            .field("qset_hash", &self.qset_hash)
            .field("slots", &self.slots.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<V: Value, D: Driver<V>> Node<V, D> {
    /// A node with identity `local_id` trusting `quorum_set` (which must pass
    /// [`QuorumSet::validate`]; it need not contain `local_id`).
    pub fn new(
        local_id: NodeId,
        quorum_set: QuorumSet,
        config: ScpConfig,
        driver: D,
    ) -> Result<Self, QuorumSetError> {
        quorum_set.validate()?;
        let qset_hash = quorum_set.hash();
        let mut index = NodeIndex::default();
        let local_idx = index.index(local_id);
        let local = Arc::new(Compiled::compile(&quorum_set, &mut index));
        let qset = Arc::new(quorum_set);
        let mut qsets = HashMap::new();
        qsets.insert(qset_hash, (Arc::clone(&qset), Arc::clone(&local)));
        Ok(Node {
            local_id,
            qset,
            qset_hash,
            local,
            local_idx,
            index,
            config,
            driver,
            qsets,
            slots: BTreeMap::new(),
            out: VecDeque::new(),
            timers: BTreeMap::new(),
            oldest: 0,
            depth_limit_hits: 0,
        })
    }

    /// The local node's id.
    pub fn local_id(&self) -> NodeId {
        self.local_id
    }

    /// The local quorum set.
    pub fn quorum_set(&self) -> &QuorumSet {
        &self.qset
    }

    /// Hash of the local quorum set, as carried in the node's statements.
    pub fn quorum_set_hash(&self) -> Hash32 {
        self.qset_hash
    }

    /// How many node ids the node has indexed (its own, those of registered quorum sets, and
    /// the senders of accepted statements). A rejected statement never adds one.
    pub fn known_nodes(&self) -> usize {
        self.index.len()
    }

    /// How many times handling one input hit the bound on nested state transitions
    /// (stellar-core `MAX_ADVANCE_SLOT_RECURSION`) and stopped advancing the slot there. Never
    /// expected in a correct run: a non-zero count is an error to report (the rest of the
    /// advance happens on the next statement or timer).
    pub fn depth_limit_hits(&self) -> u64 {
        self.depth_limit_hits
    }

    /// The configuration.
    pub fn config(&self) -> &ScpConfig {
        &self.config
    }

    /// The application driver.
    pub fn driver(&self) -> &D {
        &self.driver
    }

    /// The application driver, mutably (to update the application state it consults).
    pub fn driver_mut(&mut self) -> &mut D {
        &mut self.driver
    }

    /// Makes a peer's quorum set known so that statements naming its hash can be processed.
    pub fn add_quorum_set(&mut self, quorum_set: QuorumSet) -> Result<Hash32, QuorumSetError> {
        quorum_set.validate()?;
        let h = quorum_set.hash();
        if !self.qsets.contains_key(&h) {
            let compiled = Arc::new(Compiled::compile(&quorum_set, &mut self.index));
            self.qsets.insert(h, (Arc::new(quorum_set), compiled));
        }
        Ok(h)
    }

    /// A known quorum set by hash.
    pub fn quorum_set_by_hash(&self, hash: &Hash32) -> Option<&QuorumSet> {
        self.qsets.get(hash).map(|(q, _)| &**q)
    }

    /// Oldest slot still kept (statements for older slots are rejected).
    pub fn oldest_slot(&self) -> SlotIndex {
        self.oldest
    }

    pub(crate) fn ctx_parts(
        &mut self,
        now: Time,
    ) -> (Ctx<'_, V, D>, &mut BTreeMap<SlotIndex, Slot<V>>) {
        (
            Ctx {
                local_id: self.local_id,
                qset: &self.qset,
                qset_hash: self.qset_hash,
                local: &self.local,
                local_idx: self.local_idx,
                config: &self.config,
                driver: &mut self.driver,
                out: &mut self.out,
                timers: &mut self.timers,
                now,
                depth_limit_hits: &mut self.depth_limit_hits,
            },
            &mut self.slots,
        )
    }

    fn slot_entry(
        slots: &mut BTreeMap<SlotIndex, Slot<V>>,
        index: SlotIndex,
        validator: bool,
    ) -> &mut Slot<V> {
        slots.entry(index).or_insert_with(|| Slot::new(index, validator))
    }

    /// Starts nomination of `value` for `slot` (draft §2.2). `previous` identifies the
    /// previous decision (the previous block id) and seeds leader selection; every node must
    /// pass the same one. The value must validate as [`Validity::Valid`]. The node then runs
    /// the rounds itself on its nomination timer. Calling it again for a slot already
    /// nominating replaces the value the node proposes from then on, without starting a new
    /// round; once a candidate exists it changes nothing.
    pub fn nominate(
        &mut self,
        now: Time,
        slot: SlotIndex,
        value: V,
        previous: Hash32,
    ) -> Result<(), NominateError> {
        if !self.config.is_validator {
            return Err(NominateError::NotValidator);
        }
        if slot < self.oldest {
            return Err(NominateError::SlotPurged { slot, oldest: self.oldest });
        }
        let validity = self.driver.validate(slot, &value);
        if validity != Validity::Valid {
            return Err(NominateError::InvalidValue { validity });
        }
        let validator = self.config.is_validator;
        let (mut ctx, slots) = self.ctx_parts(now);
        let s = Self::slot_entry(slots, slot, validator);
        if s.is_externalized() {
            return Err(NominateError::AlreadyExternalized { slot });
        }
        s.nominate(&mut ctx, value, previous, false);
        Ok(())
    }

    /// Moves `slot`'s ballot protocol to its next counter (counter 1 if it has not started)
    /// with `value` — or, once a value was confirmed prepared, with that value (stellar-core
    /// `bumpState`). This is what the ballot timer does; an application that agreed on a value
    /// by other means can use it to start balloting without nomination (tests do). Returns
    /// whether the ballot changed. A non-validator may call it: it follows along silently.
    pub fn bump_ballot(
        &mut self,
        now: Time,
        slot: SlotIndex,
        value: V,
    ) -> Result<bool, NominateError> {
        if slot < self.oldest {
            return Err(NominateError::SlotPurged { slot, oldest: self.oldest });
        }
        let validity = self.driver.validate(slot, &value);
        if validity == Validity::Invalid {
            return Err(NominateError::InvalidValue { validity });
        }
        let validator = self.config.is_validator;
        let (mut ctx, slots) = self.ctx_parts(now);
        let s = Self::slot_entry(slots, slot, validator);
        if s.is_externalized() {
            return Err(NominateError::AlreadyExternalized { slot });
        }
        Ok(s.bump_state(&mut ctx, value, true))
    }

    /// Stops nominating for `slot` (the node keeps following the ballot protocol).
    pub fn stop_nomination(&mut self, slot: SlotIndex) {
        let (mut ctx, slots) = self.ctx_parts(Time(0));
        if let Some(s) = slots.get_mut(&slot) {
            s.stop_nomination(&mut ctx);
        }
    }

    /// Handles a statement from a peer, already authenticated by the caller. On error nothing
    /// changed. The node keeps state for any slot a valid statement names; the caller bounds
    /// which slots it accepts (for example the current slot and a few ahead) and calls
    /// [`Node::purge_slots_below`] as blocks close.
    pub fn handle_statement(
        &mut self,
        now: Time,
        statement: Statement<V>,
    ) -> Result<(), StatementError> {
        if statement.node_id == self.local_id {
            return Err(StatementError::FromSelf);
        }
        if statement.slot < self.oldest {
            return Err(StatementError::SlotPurged { slot: statement.slot, oldest: self.oldest });
        }
        statement.check_sanity()?;
        let qset = match &statement.pledge {
            Pledge::Externalize(_) => None,
            _ => match self.qsets.get(&statement.quorum_set_hash) {
                Some((_, c)) => Some(Arc::clone(c)),
                None => {
                    return Err(StatementError::UnknownQuorumSet {
                        hash: statement.quorum_set_hash,
                    });
                }
            },
        };
        let sender = statement.node_id;
        let known = self.index.len();
        let idx = self.index.index(sender);
        let qset = qset.unwrap_or_else(|| Arc::new(Compiled::singleton(idx)));
        let validator = self.config.is_validator;
        let index = statement.slot;
        let (mut ctx, slots) = self.ctx_parts(now);
        let rec = Recorded { st: statement, idx, qset };
        let result = match slots.get_mut(&index) {
            Some(s) => s.process(&mut ctx, rec),
            None => {
                // Check on a fresh slot first so that a rejected statement leaves no trace.
                let mut s = Slot::new(index, validator);
                s.process(&mut ctx, rec).map(|()| {
                    slots.insert(index, s);
                })
            }
        };
        if result.is_err() && self.index.len() > known {
            // Nor in the node index: a sender first seen in a rejected statement is forgotten.
            self.index.forget_newest(sender);
        }
        result
    }

    /// Fires every timer whose deadline is at or before `now`. Calling it early or twice is
    /// harmless.
    pub fn handle_timeouts(&mut self, now: Time) {
        loop {
            let due = self.timers.iter().find(|(_, d)| **d <= now).map(|(t, _)| *t);
            let Some(timer) = due else { break };
            self.timers.remove(&timer);
            let (mut ctx, slots) = self.ctx_parts(now);
            if let Some(s) = slots.get_mut(&timer.slot) {
                s.timer_expired(&mut ctx, timer.kind);
            }
        }
    }

    /// The earliest armed timer deadline, if any.
    pub fn next_timeout(&self) -> Option<Time> {
        self.timers.values().min().copied()
    }

    /// Takes the next output.
    pub fn poll_output(&mut self) -> Option<Output<V>> {
        self.out.pop_front()
    }

    /// Takes every queued output.
    pub fn drain_outputs(&mut self) -> Vec<Output<V>> {
        self.out.drain(..).collect()
    }

    /// Rebuilds a slot from the local node's own last statement after a restart (stellar-core
    /// `setStateFromEnvelope`): call it with the last NOMINATE and the last ballot statement
    /// the node emitted for the slot, before any other input for that slot. The node then never
    /// emits a statement that contradicts them.
    ///
    /// Restoring an EXTERNALIZE queues [`Output::Externalized`] for the slot again: a crash
    /// between persisting the statement and applying the value loses nothing. Restore only
    /// slots the application has not applied yet (or ignore the report for one it has).
    pub fn restore(&mut self, statement: Statement<V>) -> Result<(), RestoreError> {
        if statement.node_id != self.local_id {
            return Err(RestoreError::NotOwn);
        }
        if statement.slot < self.oldest {
            return Err(RestoreError::SlotPurged { slot: statement.slot, oldest: self.oldest });
        }
        statement.check_sanity()?;
        let qset = match &statement.pledge {
            Pledge::Externalize(_) => Arc::new(Compiled::singleton(self.local_idx)),
            _ => Arc::clone(&self.local),
        };
        let idx = self.local_idx;
        let validator = self.config.is_validator;
        let index = statement.slot;
        let (mut ctx, slots) = self.ctx_parts(Time(0));
        let s = Self::slot_entry(slots, index, validator);
        s.restore(&mut ctx, Recorded { st: statement, idx, qset })
    }

    /// The value `slot` externalized, if it has.
    pub fn externalized_value(&self, slot: SlotIndex) -> Option<&V> {
        self.slots.get(&slot).and_then(|s| s.externalized_value())
    }

    /// The local node's latest statements for `slot` (nomination first, then ballot): what to
    /// persist for [`Node::restore`] and to resend to a peer that asks.
    pub fn own_statements(&self, slot: SlotIndex) -> Vec<Statement<V>> {
        self.slots.get(&slot).map(|s| s.own_statements()).unwrap_or_default()
    }

    /// The latest statement of every node for `slot` (nomination and ballot).
    pub fn latest_statements(&self, slot: SlotIndex) -> Vec<Statement<V>> {
        self.slots.get(&slot).map(|s| s.latest_statements()).unwrap_or_default()
    }

    /// A snapshot of `slot`'s state.
    pub fn slot_info(&self, slot: SlotIndex) -> Option<SlotInfo<V>> {
        self.slots.get(&slot).map(|s| s.info())
    }

    /// Slots with state, in increasing order.
    pub fn slots(&self) -> Vec<SlotIndex> {
        self.slots.keys().copied().collect()
    }

    /// Forgets every slot below `slot` and cancels its timers; later statements for them are
    /// rejected with [`StatementError::SlotPurged`].
    pub fn purge_slots_below(&mut self, slot: SlotIndex) {
        if slot <= self.oldest {
            return;
        }
        self.oldest = slot;
        let kept = self.slots.split_off(&slot);
        self.slots = kept;
        let stale: Vec<TimerId> = self.timers.keys().filter(|t| t.slot < slot).copied().collect();
        for timer in stale {
            self.timers.remove(&timer);
            self.out.push_back(Output::CancelTimer { timer });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

    #[test]
    fn node_is_send_sync_clone() {
        assert_send_sync_clone::<Node<crate::TxHashSet, crate::TxSetDriver>>();
    }
}
