//! The ballot protocol's accept/confirm steps (SCP paper §6.2, draft §2.4, numbered as in
//! stellar-core's `advanceSlot`):
//!
//! - **accept prepared** (steps 1, 5): a quorum voted-or-accepted `prepare(b)` or a v-blocking
//!   set accepted it → `p`/`p'` move up; `c` is dropped if `h` became incompatible with them.
//! - **confirm prepared** (steps 2, 3, 8): a quorum accepted `prepare(h)` → `h` moves up,
//!   `z := h.value`, `b` rises to `h`; if nothing blocks it, `c` becomes the lowest ballot of
//!   the confirmed range (vote to commit).
//! - **accept commit** (steps 4, 6, 8): for an interval `[c, h]`, a quorum voted-or-accepted
//!   commit or a v-blocking set accepted it → phase CONFIRM.
//! - **confirm commit** (step 7): a quorum accepted commit of `[c, h]` → EXTERNALIZE.
//! - **rule 9** (draft §2.4 last paragraph): if a v-blocking set is at counters strictly above
//!   `b.counter`, jump to the lowest counter at which that stops being true.

use std::collections::BTreeSet;

use crate::context::{Ctx, Output, Phase};
use crate::driver::Driver;
use crate::federated::{federated_accept, federated_ratify, is_v_blocking};
use crate::slot::Slot;
use crate::statement::{Ballot, Pledge, Statement};
use crate::{Value, ballot::statement_counter};

/// Whether `st` says `ballot` is prepared (accepted or confirmed): `ballot ≲ p` or `≲ p'`.
fn has_prepared<V: Value>(ballot: &Ballot<V>, st: &Statement<V>) -> bool {
    match &st.pledge {
        Pledge::Prepare(p) => {
            p.prepared.as_ref().is_some_and(|x| ballot.less_and_compatible(x))
                || p.prepared_prime.as_ref().is_some_and(|x| ballot.less_and_compatible(x))
        }
        Pledge::Confirm(c) => c.ballot.value == ballot.value && ballot.counter <= c.n_prepared,
        Pledge::Externalize(e) => e.commit.value == ballot.value,
        Pledge::Nominate(_) => false,
    }
}

/// Whether `st` votes (or accepted) `prepare(ballot)`.
fn votes_prepared<V: Value>(ballot: &Ballot<V>, st: &Statement<V>) -> bool {
    match &st.pledge {
        Pledge::Prepare(p) => ballot.less_and_compatible(&p.ballot),
        Pledge::Confirm(c) => ballot.compatible(&c.ballot),
        Pledge::Externalize(e) => ballot.compatible(&e.commit),
        Pledge::Nominate(_) => false,
    }
}

/// Whether `st` accepted commit of every ballot `<n, value>` with `lo <= n <= hi`.
fn accepted_commit<V: Value>(value: &V, lo: u32, hi: u32, st: &Statement<V>) -> bool {
    match &st.pledge {
        Pledge::Confirm(c) => c.ballot.value == *value && c.n_commit <= lo && hi <= c.n_h,
        Pledge::Externalize(e) => e.commit.value == *value && e.commit.counter <= lo,
        _ => false,
    }
}

/// Whether `st` votes (or accepted) commit of every ballot in `[lo, hi]`.
fn votes_commit<V: Value>(value: &V, lo: u32, hi: u32, st: &Statement<V>) -> bool {
    match &st.pledge {
        Pledge::Prepare(p) => p.ballot.value == *value && p.n_c != 0 && p.n_c <= lo && hi <= p.n_h,
        Pledge::Confirm(c) => c.ballot.value == *value && c.n_commit <= lo,
        Pledge::Externalize(e) => e.commit.value == *value && e.commit.counter <= lo,
        Pledge::Nominate(_) => false,
    }
}

/// Extends a commit interval downward over `boundaries` (highest first) while `pred` holds:
/// the first boundary that satisfies it fixes the top, later ones lower the bottom.
fn find_extended_interval(
    boundaries: &BTreeSet<u32>,
    mut pred: impl FnMut(u32, u32) -> bool,
) -> Option<(u32, u32)> {
    let mut found: Option<(u32, u32)> = None;
    for &b in boundaries.iter().rev() {
        let cur = match found {
            None => (b, b),
            Some((_, hi)) if b > hi => continue,
            Some((_, hi)) => (b, hi),
        };
        if pred(cur.0, cur.1) {
            found = Some(cur);
        } else if found.is_some() {
            break;
        }
    }
    found
}

impl<V: Value> Slot<V> {
    /// Ballots that may be prepared given `hint`: every ballot of the latest statements that is
    /// below-and-compatible with one of the hint's ballots (stellar-core
    /// `getPrepareCandidates`).
    fn prepare_candidates(&self, hint: &Statement<V>) -> BTreeSet<Ballot<V>> {
        let mut hints: BTreeSet<Ballot<V>> = BTreeSet::new();
        match &hint.pledge {
            Pledge::Prepare(p) => {
                hints.insert(p.ballot.clone());
                hints.extend(p.prepared.iter().cloned());
                hints.extend(p.prepared_prime.iter().cloned());
            }
            Pledge::Confirm(c) => {
                hints.insert(Ballot::new(c.n_prepared, c.ballot.value.clone()));
                hints.insert(Ballot::new(u32::MAX, c.ballot.value.clone()));
            }
            Pledge::Externalize(e) => {
                hints.insert(Ballot::new(u32::MAX, e.commit.value.clone()));
            }
            Pledge::Nominate(_) => {}
        }
        let mut out = BTreeSet::new();
        for top in hints.iter().rev() {
            for rec in self.bal.latest.values() {
                match &rec.st.pledge {
                    Pledge::Prepare(p) => {
                        for x in [Some(&p.ballot), p.prepared.as_ref(), p.prepared_prime.as_ref()]
                            .into_iter()
                            .flatten()
                        {
                            if x.counter > 0 && x.less_and_compatible(top) && !out.contains(x) {
                                out.insert(x.clone());
                            }
                        }
                    }
                    Pledge::Confirm(c) => {
                        if top.compatible(&c.ballot) {
                            if !out.contains(top) {
                                out.insert(top.clone());
                            }
                            if c.n_prepared < top.counter {
                                out.insert(Ballot::new(c.n_prepared, top.value.clone()));
                            }
                        }
                    }
                    Pledge::Externalize(e) => {
                        if top.compatible(&e.commit) && !out.contains(top) {
                            out.insert(top.clone());
                        }
                    }
                    Pledge::Nominate(_) => {}
                }
            }
        }
        out
    }

    /// Steps 1 and 5: accept the highest candidate ballot as prepared.
    pub(crate) fn attempt_accept_prepared<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        hint: &Statement<V>,
    ) -> bool {
        if !matches!(self.bal.phase, Phase::Prepare | Phase::Confirm) {
            return false;
        }
        for ballot in self.prepare_candidates(hint).into_iter().rev() {
            if self.bal.phase == Phase::Confirm {
                // In CONFIRM only p may still move up, compatibly.
                if !self.bal.p.as_ref().is_some_and(|p| p.less_and_compatible(&ballot)) {
                    continue;
                }
            }
            if self.bal.p_prime.as_ref().is_some_and(|pp| ballot <= *pp) {
                continue;
            }
            if self.bal.p.as_ref().is_some_and(|p| ballot.less_and_compatible(p)) {
                continue;
            }
            let accepted = federated_accept(
                ctx.local,
                &self.bal.latest,
                |st| votes_prepared(&ballot, st),
                |st| has_prepared(&ballot, st),
            );
            if accepted {
                return self.set_accept_prepared(ctx, ballot);
            }
        }
        false
    }

    fn set_accept_prepared<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        ballot: Ballot<V>,
    ) -> bool {
        let mut did_work = self.set_prepared(ballot);
        if self.bal.c.is_some()
            && let Some(h) = &self.bal.h
        {
            let conflicts = self.bal.p.as_ref().is_some_and(|p| h.less_and_incompatible(p))
                || self.bal.p_prime.as_ref().is_some_and(|pp| h.less_and_incompatible(pp));
            if conflicts {
                // Step 5: a commit vote for h is abandoned once an incompatible higher ballot
                // is accepted prepared (it aborts h).
                self.bal.c = None;
                did_work = true;
            }
        }
        if did_work {
            self.emit_current_state(ctx);
        }
        did_work
    }

    /// `p`/`p'` update: the new ballot becomes `p` if above it (the old `p` moves to `p'`
    /// when incompatible), else `p'` if above `p'` and incompatible with `p`.
    pub(crate) fn set_prepared(&mut self, ballot: Ballot<V>) -> bool {
        match &self.bal.p {
            None => {
                self.bal.p = Some(ballot);
                true
            }
            Some(p) if *p < ballot => {
                if !p.compatible(&ballot) {
                    self.bal.p_prime = Some(p.clone());
                }
                self.bal.p = Some(ballot);
                true
            }
            Some(p) if *p > ballot => {
                let better = self
                    .bal
                    .p_prime
                    .as_ref()
                    .is_none_or(|pp| *pp < ballot && !p.compatible(&ballot));
                if better {
                    self.bal.p_prime = Some(ballot);
                }
                better
            }
            Some(_) => false,
        }
    }

    /// Steps 2, 3 and 8: confirm the highest candidate prepared as `h`, and pick `c`.
    pub(crate) fn attempt_confirm_prepared<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        hint: &Statement<V>,
    ) -> bool {
        if self.bal.phase != Phase::Prepare || self.bal.p.is_none() {
            return false;
        }
        let candidates: Vec<Ballot<V>> = self.prepare_candidates(hint).into_iter().rev().collect();
        let mut new_h: Option<(usize, Ballot<V>)> = None;
        for (i, ballot) in candidates.iter().enumerate() {
            if self.bal.h.as_ref().is_some_and(|h| h >= ballot) {
                break;
            }
            if federated_ratify(ctx.local, &self.bal.latest, |st| has_prepared(ballot, st)) {
                new_h = Some((i, ballot.clone()));
                break;
            }
        }
        let Some((idx, new_h)) = new_h else { return false };
        let mut new_c: Option<Ballot<V>> = None;
        let blocked = self.bal.c.is_some()
            || self.bal.p.as_ref().is_some_and(|p| new_h.less_and_incompatible(p))
            || self.bal.p_prime.as_ref().is_some_and(|pp| new_h.less_and_incompatible(pp));
        if !blocked {
            for ballot in &candidates[idx..] {
                if self.bal.b.as_ref().is_some_and(|b| ballot < b) {
                    break;
                }
                if !ballot.less_and_compatible(&new_h) {
                    continue;
                }
                if federated_ratify(ctx.local, &self.bal.latest, |st| has_prepared(ballot, st)) {
                    new_c = Some(ballot.clone());
                } else {
                    break;
                }
            }
        }
        self.set_confirm_prepared(ctx, new_c, new_h)
    }

    fn set_confirm_prepared<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        new_c: Option<Ballot<V>>,
        new_h: Ballot<V>,
    ) -> bool {
        let mut did_work = false;
        self.bal.z = Some(new_h.value.clone());
        if self.bal.b.as_ref().is_none_or(|b| b.compatible(&new_h)) {
            if self.bal.h.as_ref().is_none_or(|h| new_h > *h) {
                self.bal.h = Some(new_h.clone());
                did_work = true;
            }
            if let Some(c) = new_c {
                self.bal.c = Some(c);
                did_work = true;
            }
        }
        did_work |= self.update_current_if_needed(&new_h);
        if did_work {
            self.emit_current_state(ctx);
        }
        did_work
    }

    /// Counters where a commit interval for `value` may start or end, from the latest
    /// statements (stellar-core `getCommitBoundariesFromStatements`).
    fn commit_boundaries(&self, value: &V) -> BTreeSet<u32> {
        let mut out = BTreeSet::new();
        for rec in self.bal.latest.values() {
            match &rec.st.pledge {
                Pledge::Prepare(p) if p.ballot.value == *value && p.n_c != 0 => {
                    out.insert(p.n_c);
                    out.insert(p.n_h);
                }
                Pledge::Confirm(c) if c.ballot.value == *value => {
                    out.insert(c.n_commit);
                    out.insert(c.n_h);
                }
                Pledge::Externalize(e) if e.commit.value == *value => {
                    out.insert(e.commit.counter);
                    out.insert(e.n_h);
                    out.insert(u32::MAX);
                }
                _ => {}
            }
        }
        out
    }

    /// Steps 4, 6 and 8: accept commit of the widest interval `[c, h]` for the hint's value.
    pub(crate) fn attempt_accept_commit<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        hint: &Statement<V>,
    ) -> bool {
        if !matches!(self.bal.phase, Phase::Prepare | Phase::Confirm) {
            return false;
        }
        let value = match &hint.pledge {
            Pledge::Prepare(p) if p.n_c != 0 => p.ballot.value.clone(),
            Pledge::Confirm(c) => c.ballot.value.clone(),
            Pledge::Externalize(e) => e.commit.value.clone(),
            _ => return false,
        };
        if self.bal.phase == Phase::Confirm && self.bal.h.as_ref().is_none_or(|h| h.value != value)
        {
            return false;
        }
        let boundaries = self.commit_boundaries(&value);
        if boundaries.is_empty() {
            return false;
        }
        let latest = &self.bal.latest;
        let found = find_extended_interval(&boundaries, |lo, hi| {
            federated_accept(
                ctx.local,
                latest,
                |st| votes_commit(&value, lo, hi, st),
                |st| accepted_commit(&value, lo, hi, st),
            )
        });
        let Some((lo, hi)) = found else { return false };
        if self.bal.phase == Phase::Confirm && self.bal.h.as_ref().is_some_and(|h| hi <= h.counter)
        {
            return false;
        }
        self.set_accept_commit(ctx, Ballot::new(lo, value.clone()), Ballot::new(hi, value))
    }

    fn set_accept_commit<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        c: Ballot<V>,
        h: Ballot<V>,
    ) -> bool {
        let mut did_work = false;
        self.bal.z = Some(h.value.clone());
        if self.bal.h.as_ref() != Some(&h) || self.bal.c.as_ref() != Some(&c) {
            self.bal.c = Some(c);
            self.bal.h = Some(h.clone());
            did_work = true;
        }
        if self.bal.phase == Phase::Prepare {
            self.bal.phase = Phase::Confirm;
            if self.bal.b.as_ref().is_some_and(|b| !h.less_and_compatible(b)) {
                self.bump_to_ballot(h.clone());
            }
            self.bal.p_prime = None;
            did_work = true;
        }
        if did_work {
            self.update_current_if_needed(&h);
            self.emit_current_state(ctx);
        }
        did_work
    }

    /// Rule 9: if a v-blocking set is strictly ahead of `b.counter`, move to the lowest counter
    /// at which no v-blocking set is strictly ahead.
    pub(crate) fn attempt_bump<D: Driver<V>>(&mut self, ctx: &mut Ctx<'_, V, D>) -> bool {
        if !matches!(self.bal.phase, Phase::Prepare | Phase::Confirm) {
            return false;
        }
        let local = self.bal.b.as_ref().map_or(0, |b| b.counter);
        let ahead_of =
            |n: u32| is_v_blocking(ctx.local, &self.bal.latest, |st| statement_counter(st) > n);
        if !ahead_of(local) {
            return false;
        }
        let counters: BTreeSet<u32> = self
            .bal
            .latest
            .values()
            .map(|r| statement_counter(&r.st))
            .filter(|c| *c > local)
            .collect();
        let target = counters.into_iter().find(|n| !ahead_of(*n));
        match target {
            Some(n) => self.abandon_ballot(ctx, n),
            None => false,
        }
    }

    /// Step 7: confirm commit of the widest interval → EXTERNALIZE.
    pub(crate) fn attempt_confirm_commit<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        hint: &Statement<V>,
    ) -> bool {
        if self.bal.phase != Phase::Confirm {
            return false;
        }
        let Some(c) = &self.bal.c else { return false };
        let value = match &hint.pledge {
            Pledge::Confirm(x) => x.ballot.value.clone(),
            Pledge::Externalize(e) => e.commit.value.clone(),
            _ => return false,
        };
        if c.value != value {
            return false;
        }
        let boundaries = self.commit_boundaries(&value);
        let latest = &self.bal.latest;
        let found = find_extended_interval(&boundaries, |lo, hi| {
            federated_ratify(ctx.local, latest, |st| accepted_commit(&value, lo, hi, st))
        });
        let Some((lo, hi)) = found else { return false };
        self.set_confirm_commit(ctx, Ballot::new(lo, value.clone()), Ballot::new(hi, value))
    }

    fn set_confirm_commit<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        c: Ballot<V>,
        h: Ballot<V>,
    ) -> bool {
        self.bal.c = Some(c.clone());
        self.bal.h = Some(h.clone());
        self.update_current_if_needed(&h);
        self.bal.phase = Phase::Externalize;
        self.emit_current_state(ctx);
        self.stop_nomination(ctx);
        ctx.stop_timer(crate::TimerId { slot: self.index, kind: crate::TimerKind::Ballot });
        if !self.bal.externalize_reported {
            self.bal.externalize_reported = true;
            ctx.out.push_back(Output::Externalized { slot: self.index, value: c.value });
        }
        true
    }
}
