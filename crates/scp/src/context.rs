//! The leaf of the core's module graph: what a slot needs from its node while it handles one
//! input ([`Ctx`]), and the types both sides share (outputs, timers, phases, slot snapshots,
//! errors). `node` builds a `Ctx` and hands it to a `slot`; `slot`, `ballot`, `ballot_steps`
//! and `nomination` use it and never import `node`, so the dependency runs one way.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use mcnode_types::{Hash32, NodeId, SlotIndex};

use crate::compiled::Compiled;
use crate::driver::Validity;
use crate::quorum_set::QuorumSet;
use crate::statement::{Ballot, SanityError, Statement};
use crate::{ScpConfig, Time, Value};

/// Which of a slot's two timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// The nomination round timer (draft §2.2): on expiry the node starts the next round.
    Nomination,
    /// The ballot timer (draft §2.4): armed once a quorum has reached the current counter; on
    /// expiry the node moves to the next counter.
    Ballot,
}

/// A timer of one slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId {
    /// The slot.
    pub slot: SlotIndex,
    /// Which timer.
    pub kind: TimerKind,
}

/// Something the caller must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output<V> {
    /// Sign this statement and send it to every peer. It is the node's newest statement of its
    /// protocol (nomination or ballot) for the slot; the caller should also persist it so that
    /// [`Node::restore`] can rebuild the slot after a restart.
    Emit(Statement<V>),
    /// The slot decided `value`. Reported once per slot, and again after
    /// [`Node::restore`](crate::Node::restore) of an EXTERNALIZE (the application may not
    /// have applied it before the restart).
    Externalized {
        /// The slot.
        slot: SlotIndex,
        /// The decided value.
        value: V,
    },
    /// Call [`Node::handle_timeouts`] at or after `deadline`. Replaces any earlier deadline of
    /// the same timer.
    SetTimer {
        /// The timer.
        timer: TimerId,
        /// When it fires.
        deadline: Time,
    },
    /// The timer is no longer armed.
    CancelTimer {
        /// The timer.
        timer: TimerId,
    },
}

/// Phase of a slot's ballot protocol (draft §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Sending PREPARE.
    Prepare,
    /// Sending CONFIRM (has accepted a commit).
    Confirm,
    /// Decided.
    Externalize,
}

/// A read-only view of one slot, for status pages and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotInfo<V> {
    /// The slot.
    pub slot: SlotIndex,
    /// Ballot phase.
    pub phase: Phase,
    /// Current nomination round (0 before nominating).
    pub nomination_round: u32,
    /// Values voted for in nomination.
    pub votes: Vec<V>,
    /// Values accepted as nominated.
    pub accepted: Vec<V>,
    /// Confirmed nomination candidates.
    pub candidates: Vec<V>,
    /// Current round leaders (accumulated over rounds).
    pub leaders: Vec<NodeId>,
    /// Current ballot `b`.
    pub ballot: Option<Ballot<V>>,
    /// `p`.
    pub prepared: Option<Ballot<V>>,
    /// `p'`.
    pub prepared_prime: Option<Ballot<V>>,
    /// `h`.
    pub high: Option<Ballot<V>>,
    /// `c`.
    pub commit: Option<Ballot<V>>,
    /// Whether a quorum has reached the current ballot counter.
    pub heard_from_quorum: bool,
    /// False once a value in the slot could not be validated yet (or for a non-validator): the
    /// node then emits nothing for the slot.
    pub fully_validated: bool,
}

/// Why a received statement was rejected. A rejected statement never changes any state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// It breaks a sanity rule.
    #[error("insane statement: {0}")]
    Sanity(#[from] SanityError),
    /// It names a quorum set the node does not know: fetch it, [`Node::add_quorum_set`], and
    /// hand the statement in again.
    #[error("unknown quorum set {hash}")]
    UnknownQuorumSet {
        /// The hash in the statement.
        hash: Hash32,
    },
    /// It is not newer than the sender's latest statement for the slot (a duplicate or an
    /// older statement).
    #[error("statement is not newer than the sender's latest")]
    NotNewer,
    /// The application's validity function rejected one of its values.
    #[error("statement carries an invalid value")]
    InvalidValue,
    /// The slot externalized a different value; the statement contradicts it.
    #[error("statement contradicts the externalized value")]
    IncompatibleWithExternalized,
    /// It claims to come from the local node; the node's own state is authoritative (use
    /// [`Node::restore`] after a restart).
    #[error("statement claims to come from the local node")]
    FromSelf,
    /// The slot was purged.
    #[error("slot {slot} is below the oldest kept slot {oldest}")]
    SlotPurged {
        /// The statement's slot.
        slot: SlotIndex,
        /// The oldest slot still kept.
        oldest: SlotIndex,
    },
}

/// Why [`Node::nominate`] did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NominateError {
    /// The node is configured as a non-validator (it only watches).
    #[error("a non-validator does not nominate")]
    NotValidator,
    /// The value is not valid.
    #[error("the value to nominate is invalid ({validity:?})")]
    InvalidValue {
        /// What the driver said.
        validity: Validity,
    },
    /// The slot already externalized.
    #[error("slot {slot} already externalized")]
    AlreadyExternalized {
        /// The slot.
        slot: SlotIndex,
    },
    /// The slot was purged.
    #[error("slot {slot} is below the oldest kept slot {oldest}")]
    SlotPurged {
        /// The slot.
        slot: SlotIndex,
        /// The oldest slot still kept.
        oldest: SlotIndex,
    },
}

/// Why [`Node::restore`] refused a statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// The statement is another node's.
    #[error("statement is not the local node's")]
    NotOwn,
    /// It breaks a sanity rule.
    #[error("insane statement: {0}")]
    Sanity(#[from] SanityError),
    /// That protocol of the slot already started; restore only into a fresh slot.
    #[error("slot {slot} already has state for this protocol")]
    AlreadyStarted {
        /// The slot.
        slot: SlotIndex,
    },
    /// The slot was purged.
    #[error("slot {slot} is below the oldest kept slot {oldest}")]
    SlotPurged {
        /// The slot.
        slot: SlotIndex,
        /// The oldest slot still kept.
        oldest: SlotIndex,
    },
}

/// Everything a slot needs from its node while handling one input.
pub(crate) struct Ctx<'a, V, D> {
    pub local_id: NodeId,
    pub qset: &'a Arc<QuorumSet>,
    pub qset_hash: Hash32,
    /// The local quorum set over node indices, and the local node's index.
    pub local: &'a Arc<Compiled>,
    pub local_idx: u32,
    pub config: &'a ScpConfig,
    pub driver: &'a mut D,
    pub out: &'a mut VecDeque<Output<V>>,
    pub timers: &'a mut BTreeMap<TimerId, Time>,
    pub now: Time,
    /// Times `advance_slot` hit its recursion bound (see `Node::depth_limit_hits`).
    pub depth_limit_hits: &'a mut u64,
}

impl<V: Value, D> Ctx<'_, V, D> {
    pub(crate) fn set_timer(&mut self, timer: TimerId, after: std::time::Duration) {
        let deadline = self.now.saturating_add(after);
        self.timers.insert(timer, deadline);
        self.out.push_back(Output::SetTimer { timer, deadline });
    }

    pub(crate) fn stop_timer(&mut self, timer: TimerId) {
        if self.timers.remove(&timer).is_some() {
            self.out.push_back(Output::CancelTimer { timer });
        }
    }
}
