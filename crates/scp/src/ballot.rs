//! The ballot protocol's state, its own statements, timers and message intake (SCP paper §6.2,
//! draft-mazieres-dinrg-scp §2.4). The accept/confirm steps are in `ballot_steps.rs`.
//!
//! State per slot: `b` (current ballot), `p` and `p'` (the two highest incompatible ballots
//! accepted prepared), `h` (highest confirmed prepared, or in CONFIRM highest accepted
//! committed), `c` (lowest ballot voted/accepted/confirmed committed), `z` (the value to use
//! for new ballots once one was confirmed prepared), `M` (latest ballot statement per node,
//! own included), the phase, and whether a quorum has reached `b.counter`.
//!
//! Timer rule (draft §2.4 and stellar-core #1548): the ballot timer is armed only when a quorum
//! (including the local node) has statements at counter `>= b.counter`; it runs
//! `ballot_timeout_base + (b.counter - 1) * increment`; on expiry the node moves to
//! `b.counter + 1` with its latest composite value (or `z`).

use std::collections::VecDeque;

use mcnode_types::NodeId;

use crate::Value;
use crate::compiled::Compiled;
use crate::context::{Ctx, Output, Phase, StatementError, TimerId, TimerKind};
use crate::driver::{Driver, Validity};
use crate::federated::{Latest, Recorded, is_quorum};
use crate::slot::Slot;
use crate::statement::{Ballot, Confirm, Externalize, Pledge, Prepare, Statement};

/// Bound on nested state transitions while handling one statement (stellar-core
/// `MAX_ADVANCE_SLOT_RECURSION`).
pub(crate) const MAX_ADVANCE_DEPTH: u32 = 50;

/// Ballot-protocol state of one slot.
#[derive(Clone, Debug)]
pub(crate) struct BallotState<V> {
    pub phase: Phase,
    pub b: Option<Ballot<V>>,
    pub p: Option<Ballot<V>>,
    pub p_prime: Option<Ballot<V>>,
    pub h: Option<Ballot<V>>,
    pub c: Option<Ballot<V>>,
    pub z: Option<V>,
    pub latest: Latest<V>,
    pub heard_from_quorum: bool,
    pub depth: u32,
    /// Newest own statement worth sending (one with a ballot).
    pub last_own: Option<Statement<V>>,
    /// Last own statement actually handed to the caller.
    pub last_emitted: Option<Statement<V>>,
    /// Latest composite value from nomination.
    pub composite: Option<V>,
    pub externalize_reported: bool,
    pub timer_expirations: u32,
}

impl<V> Default for BallotState<V> {
    fn default() -> Self {
        BallotState {
            phase: Phase::Prepare,
            b: None,
            p: None,
            p_prime: None,
            h: None,
            c: None,
            z: None,
            latest: Default::default(),
            heard_from_quorum: false,
            depth: 0,
            last_own: None,
            last_emitted: None,
            composite: None,
            externalize_reported: false,
            timer_expirations: 0,
        }
    }
}

/// The counter a statement is at, EXTERNALIZE counting as infinity (for the rule-9 jump).
pub(crate) fn statement_counter<V>(st: &Statement<V>) -> u32 {
    match &st.pledge {
        Pledge::Prepare(p) => p.ballot.counter,
        Pledge::Confirm(c) => c.ballot.counter,
        Pledge::Externalize(_) => u32::MAX,
        Pledge::Nominate(_) => 0,
    }
}

/// The ballot a statement works on (its value is what an externalized node compares).
pub(crate) fn working_value<V>(st: &Statement<V>) -> Option<&V> {
    match &st.pledge {
        Pledge::Prepare(p) => Some(&p.ballot.value),
        Pledge::Confirm(c) => Some(&c.ballot.value),
        Pledge::Externalize(e) => Some(&e.commit.value),
        Pledge::Nominate(_) => None,
    }
}

impl<V: Value> Slot<V> {
    fn ballot_timer(&self) -> TimerId {
        TimerId { slot: self.index, kind: TimerKind::Ballot }
    }

    /// Starts the ballot protocol with `value` at counter 1 unless already started; with
    /// `force`, moves to the next counter (draft §2.4 "bump").
    pub(crate) fn bump_state<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        value: V,
        force: bool,
    ) -> bool {
        if !force && self.bal.b.is_some() {
            return false;
        }
        let n = match &self.bal.b {
            None => 1,
            Some(b) => match b.counter.checked_add(1) {
                Some(n) => n,
                None => return false,
            },
        };
        self.bump_state_to(ctx, value, n)
    }

    /// Moves to ballot `<n, z or value>`.
    pub(crate) fn bump_state_to<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        value: V,
        n: u32,
    ) -> bool {
        if !matches!(self.bal.phase, Phase::Prepare | Phase::Confirm) {
            return false;
        }
        let value = self.bal.z.clone().unwrap_or(value);
        let updated = self.update_current_value(Ballot::new(n, value));
        if updated {
            self.emit_current_state(ctx);
            self.check_heard_from_quorum(ctx);
        }
        updated
    }

    /// Sets `b` to `ballot` if that moves it forward and keeps it compatible with `c`.
    fn update_current_value(&mut self, ballot: Ballot<V>) -> bool {
        if !matches!(self.bal.phase, Phase::Prepare | Phase::Confirm) {
            return false;
        }
        match &self.bal.b {
            None => {
                self.bump_to_ballot(ballot);
                true
            }
            Some(b) => {
                if self.bal.c.as_ref().is_some_and(|c| !c.compatible(&ballot)) {
                    return false;
                }
                if *b < ballot {
                    self.bump_to_ballot(ballot);
                    true
                } else {
                    false
                }
            }
        }
    }

    /// `b := ballot`; an incompatible `h`/`c` is dropped; a new counter needs to hear from a
    /// quorum again before its timer may run.
    pub(crate) fn bump_to_ballot(&mut self, ballot: Ballot<V>) {
        let bumped = self.bal.b.as_ref().is_none_or(|b| b.counter != ballot.counter);
        if self.bal.h.as_ref().is_some_and(|h| !h.compatible(&ballot)) {
            self.bal.h = None;
            self.bal.c = None;
        }
        self.bal.b = Some(ballot);
        if bumped {
            self.bal.heard_from_quorum = false;
        }
    }

    /// `b := h` if `b < h`.
    pub(crate) fn update_current_if_needed(&mut self, h: &Ballot<V>) -> bool {
        if self.bal.b.as_ref().is_none_or(|b| b < h) {
            self.bump_to_ballot(h.clone());
            true
        } else {
            false
        }
    }

    /// The ballot timer fired: go to the next counter (draft §2.4).
    pub(crate) fn ballot_timer_expired<D: Driver<V>>(&mut self, ctx: &mut Ctx<'_, V, D>) {
        self.bal.timer_expirations += 1;
        self.abandon_ballot(ctx, 0);
    }

    /// Leaves the current ballot for counter `n` (0 = the next one) with the composite value,
    /// else the current ballot's value.
    pub(crate) fn abandon_ballot<D: Driver<V>>(&mut self, ctx: &mut Ctx<'_, V, D>, n: u32) -> bool {
        let v = self.bal.composite.clone().or_else(|| self.bal.b.as_ref().map(|b| b.value.clone()));
        match v {
            Some(v) if n == 0 => self.bump_state(ctx, v, true),
            Some(v) => self.bump_state_to(ctx, v, n),
            None => false,
        }
    }

    /// The local node's statement for the current state; `None` before any ballot or `p`.
    fn create_statement<D>(&self, ctx: &Ctx<'_, V, D>) -> Option<Statement<V>> {
        let bal = &self.bal;
        let pledge = match bal.phase {
            Phase::Prepare => {
                // Before it has a ballot a node may still have accepted something prepared;
                // it records that for itself at counter 0 (never sent).
                let ballot = match (&bal.b, &bal.p) {
                    (Some(b), _) => b.clone(),
                    (None, Some(p)) => Ballot::new(0, p.value.clone()),
                    (None, None) => return None,
                };
                Pledge::Prepare(Prepare {
                    ballot,
                    prepared: bal.p.clone(),
                    prepared_prime: bal.p_prime.clone(),
                    n_c: bal.c.as_ref().map_or(0, |c| c.counter),
                    n_h: bal.h.as_ref().map_or(0, |h| h.counter),
                })
            }
            Phase::Confirm => Pledge::Confirm(Confirm {
                ballot: bal.b.clone()?,
                n_prepared: bal.p.as_ref()?.counter,
                n_commit: bal.c.as_ref()?.counter,
                n_h: bal.h.as_ref()?.counter,
            }),
            Phase::Externalize => Pledge::Externalize(Externalize {
                commit: bal.c.clone()?,
                n_h: bal.h.as_ref()?.counter,
            }),
        };
        Some(Statement {
            node_id: ctx.local_id,
            slot: self.index,
            quorum_set_hash: ctx.qset_hash,
            pledge,
        })
    }

    /// Records the local node's current statement as its own latest and advances on it; keeps
    /// it for sending if it carries a ballot and is newer than the last one.
    pub(crate) fn emit_current_state<D: Driver<V>>(&mut self, ctx: &mut Ctx<'_, V, D>) {
        let Some(st) = self.create_statement(ctx) else { return };
        let can_emit = self.bal.b.is_some();
        if self.bal.latest.get(&ctx.local_id).is_some_and(|r| r.st == st) {
            return;
        }
        let qset = match st.pledge {
            Pledge::Externalize(_) => std::sync::Arc::new(Compiled::singleton(ctx.local_idx)),
            _ => ctx.local.clone(),
        };
        let is_newer_own = self
            .bal
            .latest
            .get(&ctx.local_id)
            .is_none_or(|old| st.pledge.is_newer_than(&old.st.pledge));
        if !is_newer_own {
            debug_assert!(false, "own ballot statement went backwards");
            return;
        }
        self.record_ballot(Recorded { st: st.clone(), idx: ctx.local_idx, qset });
        self.advance_slot(ctx, &st);
        if can_emit
            && self.bal.last_own.as_ref().is_none_or(|old| st.pledge.is_newer_than(&old.pledge))
        {
            self.bal.last_own = Some(st);
            self.send_latest(ctx);
        }
    }

    /// Hands the newest own statement to the caller once the outermost transition is done.
    pub(crate) fn send_latest<D>(&mut self, ctx: &mut Ctx<'_, V, D>) {
        if self.bal.depth != 0 || !self.fully_validated {
            return;
        }
        if let Some(st) = &self.bal.last_own
            && self.bal.last_emitted.as_ref() != Some(st)
        {
            self.bal.last_emitted = Some(st.clone());
            ctx.out.push_back(Output::Emit(st.clone()));
        }
    }

    fn record_ballot(&mut self, rec: Recorded<V>) {
        self.bal.latest.insert(rec.st.node_id, rec);
    }

    /// Draft §2.4: the ballot timer runs only while a quorum is at `b.counter` or beyond
    /// (PREPARE with counter `>= b.counter`, or any CONFIRM/EXTERNALIZE).
    pub(crate) fn check_heard_from_quorum<D>(&mut self, ctx: &mut Ctx<'_, V, D>) {
        let Some(b) = &self.bal.b else { return };
        let n = b.counter;
        let heard = is_quorum(ctx.local, &self.bal.latest, |st| match &st.pledge {
            Pledge::Prepare(p) => n <= p.ballot.counter,
            _ => true,
        });
        let timer = self.ballot_timer();
        if heard {
            let was = self.bal.heard_from_quorum;
            self.bal.heard_from_quorum = true;
            if !was && self.bal.phase != Phase::Externalize {
                let timeout = ctx.config.ballot_timeout(n);
                ctx.set_timer(timer, timeout);
            }
            if self.bal.phase == Phase::Externalize {
                ctx.stop_timer(timer);
            }
        } else {
            self.bal.heard_from_quorum = false;
            ctx.stop_timer(timer);
        }
    }

    /// Intake of a ballot statement (a peer's; sanity already checked by the node): newer
    /// than the sender's last, values valid; then record it and advance (stellar-core
    /// `BallotProtocol::processEnvelope`). An error leaves the state unchanged.
    pub(crate) fn process_ballot<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        rec: Recorded<V>,
    ) -> Result<(), StatementError> {
        if let Some(old) = self.bal.latest.get(&rec.st.node_id)
            && !rec.st.pledge.is_newer_than(&old.st.pledge)
        {
            return Err(StatementError::NotNewer);
        }
        let mut validity = Validity::Valid;
        for v in rec.st.pledge.values() {
            validity = validity.min(ctx.driver.validate(self.index, v));
            if validity == Validity::Invalid {
                return Err(StatementError::InvalidValue);
            }
        }
        if self.bal.phase == Phase::Externalize {
            let same = match (&self.bal.c, working_value(&rec.st)) {
                (Some(c), Some(v)) => c.value == *v,
                _ => false,
            };
            if !same {
                return Err(StatementError::IncompatibleWithExternalized);
            }
            self.record_ballot(rec);
            return Ok(());
        }
        if validity == Validity::MaybeValidLater {
            self.fully_validated = false;
        }
        let hint = rec.st.clone();
        self.record_ballot(rec);
        self.advance_slot(ctx, &hint);
        Ok(())
    }

    /// Runs every step the new statement may enable, in the paper's order, then (at the outer
    /// level only) the rule-9 counter jump and the heard-from-quorum check.
    pub(crate) fn advance_slot<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        hint: &Statement<V>,
    ) {
        if self.bal.depth >= MAX_ADVANCE_DEPTH {
            *ctx.depth_limit_hits += 1;
            return;
        }
        self.bal.depth += 1;
        let mut did_work = self.attempt_accept_prepared(ctx, hint);
        did_work |= self.attempt_confirm_prepared(ctx, hint);
        did_work |= self.attempt_accept_commit(ctx, hint);
        did_work |= self.attempt_confirm_commit(ctx, hint);
        if self.bal.depth == 1 {
            while self.attempt_bump(ctx) {
                did_work = true;
            }
            self.check_heard_from_quorum(ctx);
        }
        self.bal.depth -= 1;
        if did_work {
            self.send_latest(ctx);
        }
    }

    /// Rebuilds ballot state from the local node's own last ballot statement (stellar-core
    /// `setStateFromEnvelope`). Refused once the ballot protocol has started. Restoring an
    /// EXTERNALIZE reports the decision again through `out`: the node may have crashed between
    /// persisting the statement and applying the value, and the application, not the core,
    /// knows which (stellar-core leaves this to its herder; here it cannot be forgotten).
    pub(crate) fn restore_ballot(
        &mut self,
        local: NodeId,
        rec: Recorded<V>,
        out: &mut VecDeque<Output<V>>,
    ) -> bool {
        if self.bal.b.is_some() || self.bal.latest.contains_key(&local) {
            return false;
        }
        let st = rec.st.clone();
        match &st.pledge {
            Pledge::Prepare(p) => {
                self.bump_to_ballot(p.ballot.clone());
                self.bal.p = p.prepared.clone();
                self.bal.p_prime = p.prepared_prime.clone();
                if p.n_h != 0 {
                    self.bal.h = Some(Ballot::new(p.n_h, p.ballot.value.clone()));
                }
                if p.n_c != 0 {
                    self.bal.c = Some(Ballot::new(p.n_c, p.ballot.value.clone()));
                }
                self.bal.phase = Phase::Prepare;
            }
            Pledge::Confirm(c) => {
                let v = &c.ballot.value;
                self.bump_to_ballot(c.ballot.clone());
                self.bal.p = Some(Ballot::new(c.n_prepared, v.clone()));
                self.bal.h = Some(Ballot::new(c.n_h, v.clone()));
                self.bal.c = Some(Ballot::new(c.n_commit, v.clone()));
                self.bal.phase = Phase::Confirm;
            }
            Pledge::Externalize(e) => {
                let v = &e.commit.value;
                self.bump_to_ballot(Ballot::new(u32::MAX, v.clone()));
                self.bal.p = Some(Ballot::new(u32::MAX, v.clone()));
                self.bal.h = Some(Ballot::new(e.n_h, v.clone()));
                self.bal.c = Some(e.commit.clone());
                self.bal.phase = Phase::Externalize;
                self.bal.externalize_reported = true;
                out.push_back(Output::Externalized { slot: self.index, value: v.clone() });
            }
            Pledge::Nominate(_) => return false,
        }
        // Having h means the node confirmed h prepared (PREPARE) or accepted its commit
        // (CONFIRM): either way it had set z = h.value, and must keep using it.
        self.bal.z = self.bal.h.as_ref().map(|h| h.value.clone());
        self.record_ballot(rec);
        self.bal.last_own = Some(st.clone());
        self.bal.last_emitted = Some(st);
        true
    }
}
