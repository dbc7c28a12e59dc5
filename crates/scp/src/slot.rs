//! One consensus slot: its nomination and ballot state side by side (draft §2: a slot runs
//! nomination until a candidate exists, and the ballot protocol from then until it
//! externalizes; both keep the latest statement of every node).
//!
//! `impl Slot` is split by protocol, on purpose: this file holds what concerns both (routing a
//! statement, restore, snapshots), `nomination.rs` the nomination protocol (draft §2.2),
//! `ballot.rs` the ballot protocol's intake and state and `ballot_steps.rs` its federated
//! steps (draft §3), each under its source's section names and small enough to read against
//! it. None of them imports `node`: what they need from the node comes in a `context::Ctx`.

use mcnode_types::SlotIndex;

use crate::Value;
use crate::ballot::BallotState;
use crate::context::{Ctx, Phase, RestoreError, SlotInfo, StatementError, TimerKind};
use crate::driver::Driver;
use crate::federated::Recorded;
use crate::nomination::NominationState;
use crate::statement::{Pledge, Statement};

/// State of one slot.
#[derive(Clone, Debug)]
pub(crate) struct Slot<V> {
    pub index: SlotIndex,
    /// False for a non-validator, and once a value could only be "maybe valid later": the node
    /// then emits nothing for this slot.
    pub fully_validated: bool,
    pub nom: NominationState<V>,
    pub bal: BallotState<V>,
}

impl<V: Value> Slot<V> {
    pub(crate) fn new(index: SlotIndex, validator: bool) -> Self {
        Slot {
            index,
            fully_validated: validator,
            nom: NominationState::default(),
            bal: BallotState::default(),
        }
    }

    pub(crate) fn is_externalized(&self) -> bool {
        self.bal.phase == Phase::Externalize
    }

    pub(crate) fn externalized_value(&self) -> Option<&V> {
        match self.bal.phase {
            Phase::Externalize => self.bal.c.as_ref().map(|c| &c.value),
            _ => None,
        }
    }

    /// A peer's statement (sanity already checked, quorum set resolved).
    pub(crate) fn process<D: Driver<V>>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        rec: Recorded<V>,
    ) -> Result<(), StatementError> {
        if rec.st.pledge.is_ballot() {
            self.process_ballot(ctx, rec)
        } else {
            self.process_nomination(ctx, rec)
        }
    }

    pub(crate) fn timer_expired<D: Driver<V>>(&mut self, ctx: &mut Ctx<'_, V, D>, kind: TimerKind) {
        match kind {
            TimerKind::Nomination => {
                if let Some(v) = self.nom.own_value.clone() {
                    let prev = self.nom.previous;
                    self.nominate(ctx, v, prev, true);
                }
            }
            TimerKind::Ballot => self.ballot_timer_expired(ctx),
        }
    }

    pub(crate) fn restore<D>(
        &mut self,
        ctx: &mut Ctx<'_, V, D>,
        rec: Recorded<V>,
    ) -> Result<(), RestoreError> {
        let ok = match rec.st.pledge {
            Pledge::Nominate(_) => self.restore_nomination(rec),
            _ => self.restore_ballot(ctx.local_id, rec, ctx.out),
        };
        if ok { Ok(()) } else { Err(RestoreError::AlreadyStarted { slot: self.index }) }
    }

    pub(crate) fn own_statements(&self) -> Vec<Statement<V>> {
        self.nom.last_own.iter().chain(self.bal.last_own.iter()).cloned().collect()
    }

    pub(crate) fn latest_statements(&self) -> Vec<Statement<V>> {
        self.nom
            .latest
            .values()
            .chain(self.bal.latest.values())
            .map(|r| r.st.clone())
            .filter(|st| !matches!(&st.pledge, Pledge::Prepare(p) if p.ballot.counter == 0))
            .collect()
    }

    pub(crate) fn info(&self) -> SlotInfo<V> {
        SlotInfo {
            slot: self.index,
            phase: self.bal.phase,
            nomination_round: self.nom.round,
            votes: self.nom.votes.iter().cloned().collect(),
            accepted: self.nom.accepted.iter().cloned().collect(),
            candidates: self.nom.candidates.iter().cloned().collect(),
            leaders: self.nom.leaders.iter().copied().collect(),
            ballot: self.bal.b.clone(),
            prepared: self.bal.p.clone(),
            prepared_prime: self.bal.p_prime.clone(),
            high: self.bal.h.clone(),
            commit: self.bal.c.clone(),
            heard_from_quorum: self.bal.heard_from_quorum,
            fully_validated: self.fully_validated,
        }
    }
}

#[cfg(test)]
mod tests {
    use mcnode_types::{Hash32, NodeId};

    use super::*;
    use crate::ballot::MAX_ADVANCE_DEPTH;
    use crate::statement::{Ballot, Prepare};
    use crate::{Node, QuorumSet, ScpConfig, Time, TxHashSet, TxSetDriver};

    #[test]
    fn hitting_the_advance_depth_bound_is_counted() {
        let ids: Vec<NodeId> = (1..=3u8).map(|i| NodeId([i; 32])).collect();
        let qset = QuorumSet::new(2, ids.clone());
        let mut node =
            Node::new(ids[0], qset, ScpConfig::default(), TxSetDriver { max_values: 10 }).unwrap();
        let hint = Statement {
            node_id: ids[1],
            slot: 1,
            quorum_set_hash: node.quorum_set_hash(),
            pledge: Pledge::Prepare(Prepare {
                ballot: Ballot::new(1, TxHashSet::from_hashes([Hash32([1; 32])])),
                prepared: None,
                prepared_prime: None,
                n_c: 0,
                n_h: 0,
            }),
        };
        let mut slot: Slot<TxHashSet> = Slot::new(1, true);
        slot.bal.depth = MAX_ADVANCE_DEPTH;
        {
            let (mut ctx, _) = node.ctx_parts(Time(0));
            slot.advance_slot(&mut ctx, &hint);
        }
        assert_eq!(node.depth_limit_hits(), 1);
        assert_eq!(slot.bal.depth, MAX_ADVANCE_DEPTH, "nothing advanced past the bound");
    }
}
