//! Record and replay: debugging a network starts from one node's exact history.
//!
//! [`Recorder`] wraps a [`Node`] and logs, in order, every input, every question the node asked
//! its [`Driver`] with the answer, the result of each input, and every output. A [`Log`] has a
//! canonical encoding, so it can be written to disk and read back. [`replay`] rebuilds a fresh
//! node from the log's header, feeds it the same inputs while answering driver questions from
//! the log (so the application need not be present), and checks that every question, result
//! and output matches the recording byte for byte.

use std::collections::VecDeque;

use mcnode_types::{Encode, Hash32, NodeId, SlotIndex};

use crate::context::{NominateError, Output, RestoreError, StatementError};
use crate::quorum_set::{QuorumSet, QuorumSetError};
use crate::{Driver, Node, ScpConfig, Statement, Time, Validity, Value};

mod codec;

/// One input to a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<V> {
    /// [`Node::nominate`].
    Nominate {
        /// Time of the call.
        now: Time,
        /// Slot.
        slot: SlotIndex,
        /// Value.
        value: V,
        /// Previous decision id.
        previous: Hash32,
    },
    /// [`Node::bump_ballot`].
    BumpBallot {
        /// Time of the call.
        now: Time,
        /// Slot.
        slot: SlotIndex,
        /// Value.
        value: V,
    },
    /// [`Node::handle_statement`].
    Statement {
        /// Time of the call.
        now: Time,
        /// The statement.
        statement: Statement<V>,
    },
    /// [`Node::handle_timeouts`].
    Timeouts {
        /// Time of the call.
        now: Time,
    },
    /// [`Node::add_quorum_set`].
    AddQuorumSet {
        /// The set.
        quorum_set: QuorumSet,
    },
    /// [`Node::restore`].
    Restore {
        /// The node's own statement.
        statement: Statement<V>,
    },
    /// [`Node::stop_nomination`].
    StopNomination {
        /// Slot.
        slot: SlotIndex,
    },
    /// [`Node::purge_slots_below`].
    PurgeBelow {
        /// First slot kept.
        slot: SlotIndex,
    },
}

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry<V> {
    /// An input.
    Input(Input<V>),
    /// The node asked [`Driver::validate`].
    Validate {
        /// Slot asked about.
        slot: SlotIndex,
        /// Value asked about.
        value: V,
        /// The answer.
        answer: Validity,
    },
    /// The node asked [`Driver::combine`].
    Combine {
        /// Slot.
        slot: SlotIndex,
        /// Candidates.
        candidates: Vec<V>,
        /// The answer.
        answer: Option<V>,
    },
    /// The node asked [`Driver::extract_valid`].
    ExtractValid {
        /// Slot.
        slot: SlotIndex,
        /// Value.
        value: V,
        /// The answer.
        answer: Option<V>,
    },
    /// How the input ended: `0` success, otherwise [`error_code`] of the error.
    Result(u16),
    /// An output.
    Output(Output<V>),
}

/// A node's recorded history: what it was built with, then its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log<V> {
    /// The node's id.
    pub local_id: NodeId,
    /// Its quorum set.
    pub quorum_set: QuorumSet,
    /// Its configuration.
    pub config: ScpConfig,
    /// Everything that happened, in order.
    pub entries: Vec<Entry<V>>,
}

/// A stable numeric code for an error, as logged in [`Entry::Result`].
pub trait ErrorCode {
    /// The code, never 0.
    fn code(&self) -> u16;
}

impl ErrorCode for StatementError {
    fn code(&self) -> u16 {
        match self {
            StatementError::Sanity(_) => 1,
            StatementError::UnknownQuorumSet { .. } => 2,
            StatementError::NotNewer => 3,
            StatementError::InvalidValue => 4,
            StatementError::IncompatibleWithExternalized => 5,
            StatementError::FromSelf => 6,
            StatementError::SlotPurged { .. } => 7,
        }
    }
}

impl ErrorCode for NominateError {
    fn code(&self) -> u16 {
        match self {
            NominateError::NotValidator => 20,
            NominateError::InvalidValue { .. } => 21,
            NominateError::AlreadyExternalized { .. } => 22,
            NominateError::SlotPurged { .. } => 23,
        }
    }
}

impl ErrorCode for RestoreError {
    fn code(&self) -> u16 {
        match self {
            RestoreError::NotOwn => 30,
            RestoreError::Sanity(_) => 31,
            RestoreError::AlreadyStarted { .. } => 32,
            RestoreError::SlotPurged { .. } => 33,
        }
    }
}

impl ErrorCode for QuorumSetError {
    fn code(&self) -> u16 {
        40
    }
}

/// The code of a result: 0 for success.
pub fn error_code<T, E: ErrorCode>(r: &Result<T, E>) -> u16 {
    match r {
        Ok(_) => 0,
        Err(e) => e.code(),
    }
}

/// A [`Driver`] wrapper that logs every question and answer.
#[derive(Debug)]
pub struct RecordingDriver<V, D> {
    inner: D,
    calls: Vec<Entry<V>>,
}

impl<V: Value, D: Driver<V>> Driver<V> for RecordingDriver<V, D> {
    fn validate(&mut self, slot: SlotIndex, value: &V) -> Validity {
        let answer = self.inner.validate(slot, value);
        self.calls.push(Entry::Validate { slot, value: value.clone(), answer });
        answer
    }

    fn combine(&mut self, slot: SlotIndex, candidates: &[V]) -> Option<V> {
        let answer = self.inner.combine(slot, candidates);
        self.calls.push(Entry::Combine {
            slot,
            candidates: candidates.to_vec(),
            answer: answer.clone(),
        });
        answer
    }

    fn extract_valid(&mut self, slot: SlotIndex, value: &V) -> Option<V> {
        let answer = self.inner.extract_valid(slot, value);
        self.calls.push(Entry::ExtractValid { slot, value: value.clone(), answer: answer.clone() });
        answer
    }
}

impl<V, D> RecordingDriver<V, D> {
    /// The wrapped driver.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped driver, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }
}

/// A [`Node`] that records everything into a [`Log`]. Same methods as [`Node`].
#[derive(Debug)]
pub struct Recorder<V: Value, D: Driver<V>> {
    node: Node<V, RecordingDriver<V, D>>,
    log: Log<V>,
    pending: VecDeque<Output<V>>,
}

impl<V: Value, D: Driver<V>> Recorder<V, D> {
    /// Like [`Node::new`].
    pub fn new(
        local_id: NodeId,
        quorum_set: QuorumSet,
        config: ScpConfig,
        driver: D,
    ) -> Result<Self, QuorumSetError> {
        let log = Log {
            local_id,
            quorum_set: quorum_set.clone(),
            config: config.clone(),
            entries: Vec::new(),
        };
        let driver = RecordingDriver { inner: driver, calls: Vec::new() };
        Ok(Recorder {
            node: Node::new(local_id, quorum_set, config, driver)?,
            log,
            pending: VecDeque::new(),
        })
    }

    fn finish(&mut self, code: u16) {
        self.log.entries.append(&mut self.node.driver_mut().calls);
        self.log.entries.push(Entry::Result(code));
        while let Some(o) = self.node.poll_output() {
            self.log.entries.push(Entry::Output(o.clone()));
            self.pending.push_back(o);
        }
    }

    /// [`Node::nominate`], recorded.
    pub fn nominate(
        &mut self,
        now: Time,
        slot: SlotIndex,
        value: V,
        previous: Hash32,
    ) -> Result<(), NominateError> {
        self.log.entries.push(Entry::Input(Input::Nominate {
            now,
            slot,
            value: value.clone(),
            previous,
        }));
        let r = self.node.nominate(now, slot, value, previous);
        self.finish(error_code(&r));
        r
    }

    /// [`Node::bump_ballot`], recorded.
    pub fn bump_ballot(
        &mut self,
        now: Time,
        slot: SlotIndex,
        value: V,
    ) -> Result<bool, NominateError> {
        self.log.entries.push(Entry::Input(Input::BumpBallot { now, slot, value: value.clone() }));
        let r = self.node.bump_ballot(now, slot, value);
        self.finish(error_code(&r));
        r
    }

    /// [`Node::handle_statement`], recorded.
    pub fn handle_statement(
        &mut self,
        now: Time,
        statement: Statement<V>,
    ) -> Result<(), StatementError> {
        self.log.entries.push(Entry::Input(Input::Statement { now, statement: statement.clone() }));
        let r = self.node.handle_statement(now, statement);
        self.finish(error_code(&r));
        r
    }

    /// [`Node::handle_timeouts`], recorded.
    pub fn handle_timeouts(&mut self, now: Time) {
        self.log.entries.push(Entry::Input(Input::Timeouts { now }));
        self.node.handle_timeouts(now);
        self.finish(0);
    }

    /// [`Node::add_quorum_set`], recorded.
    pub fn add_quorum_set(&mut self, quorum_set: QuorumSet) -> Result<Hash32, QuorumSetError> {
        self.log.entries.push(Entry::Input(Input::AddQuorumSet { quorum_set: quorum_set.clone() }));
        let r = self.node.add_quorum_set(quorum_set);
        self.finish(error_code(&r));
        r
    }

    /// [`Node::restore`], recorded.
    pub fn restore(&mut self, statement: Statement<V>) -> Result<(), RestoreError> {
        self.log.entries.push(Entry::Input(Input::Restore { statement: statement.clone() }));
        let r = self.node.restore(statement);
        self.finish(error_code(&r));
        r
    }

    /// [`Node::stop_nomination`], recorded.
    pub fn stop_nomination(&mut self, slot: SlotIndex) {
        self.log.entries.push(Entry::Input(Input::StopNomination { slot }));
        self.node.stop_nomination(slot);
        self.finish(0);
    }

    /// [`Node::purge_slots_below`], recorded.
    pub fn purge_slots_below(&mut self, slot: SlotIndex) {
        self.log.entries.push(Entry::Input(Input::PurgeBelow { slot }));
        self.node.purge_slots_below(slot);
        self.finish(0);
    }

    /// [`Node::poll_output`].
    pub fn poll_output(&mut self) -> Option<Output<V>> {
        self.pending.pop_front()
    }

    /// [`Node::next_timeout`].
    pub fn next_timeout(&self) -> Option<Time> {
        self.node.next_timeout()
    }

    /// The wrapped node (read-only: inputs must go through the recorder).
    pub fn node(&self) -> &Node<V, RecordingDriver<V, D>> {
        &self.node
    }

    /// The application driver, mutably.
    pub fn driver_mut(&mut self) -> &mut D {
        self.node.driver_mut().inner_mut()
    }

    /// The log so far.
    pub fn log(&self) -> &Log<V> {
        &self.log
    }

    /// Ends recording and returns the log.
    pub fn into_log(self) -> Log<V> {
        self.log
    }
}

/// Why a replay diverged from its log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The header's quorum set does not validate.
    #[error("log header: {0}")]
    Header(#[from] QuorumSetError),
    /// The log does not start an input where one was expected.
    #[error("entry {index}: expected an input")]
    ExpectedInput {
        /// Index of the entry.
        index: usize,
    },
    /// The replayed node did something else than the recording at this entry.
    #[error("entry {index}: replay diverged from the log")]
    Diverged {
        /// Index of the first differing entry.
        index: usize,
    },
}

/// A [`Driver`] that answers from a log and remembers whether the questions matched.
#[derive(Debug)]
pub struct ReplayDriver<V> {
    expected: VecDeque<Entry<V>>,
    mismatch: bool,
}

impl<V: Value> Driver<V> for ReplayDriver<V> {
    fn validate(&mut self, slot: SlotIndex, value: &V) -> Validity {
        match self.expected.pop_front() {
            Some(Entry::Validate { slot: s, value: v, answer }) if s == slot && v == *value => {
                answer
            }
            _ => {
                self.mismatch = true;
                Validity::Invalid
            }
        }
    }

    fn combine(&mut self, slot: SlotIndex, candidates: &[V]) -> Option<V> {
        match self.expected.pop_front() {
            Some(Entry::Combine { slot: s, candidates: c, answer })
                if s == slot && c == candidates =>
            {
                answer
            }
            _ => {
                self.mismatch = true;
                None
            }
        }
    }

    fn extract_valid(&mut self, slot: SlotIndex, value: &V) -> Option<V> {
        match self.expected.pop_front() {
            Some(Entry::ExtractValid { slot: s, value: v, answer }) if s == slot && v == *value => {
                answer
            }
            _ => {
                self.mismatch = true;
                None
            }
        }
    }
}

/// Replays `log` on a fresh node and checks it reproduces every entry exactly. Returns the
/// node in its final state.
pub fn replay<V: Value>(log: &Log<V>) -> Result<Node<V, ReplayDriver<V>>, ReplayError> {
    let driver = ReplayDriver { expected: VecDeque::new(), mismatch: false };
    let mut node = Node::new(log.local_id, log.quorum_set.clone(), log.config.clone(), driver)?;
    let entries = &log.entries;
    let mut i = 0;
    while i < entries.len() {
        let Entry::Input(input) = &entries[i] else {
            return Err(ReplayError::ExpectedInput { index: i });
        };
        let start = i;
        i += 1;
        // The driver answers that follow this input, up to its result.
        let mut j = i;
        while j < entries.len()
            && matches!(
                entries[j],
                Entry::Validate { .. } | Entry::Combine { .. } | Entry::ExtractValid { .. }
            )
        {
            j += 1;
        }
        node.driver_mut().expected = entries[i..j].iter().cloned().collect();
        node.driver_mut().mismatch = false;
        let code = apply(&mut node, input.clone());
        if node.driver().mismatch || !node.driver().expected.is_empty() {
            return Err(ReplayError::Diverged { index: start });
        }
        i = j;
        if entries.get(i) != Some(&Entry::Result(code)) {
            return Err(ReplayError::Diverged { index: i });
        }
        i += 1;
        while let Some(o) = node.poll_output() {
            let same = match entries.get(i) {
                Some(Entry::Output(r)) => r.to_canonical_bytes() == o.to_canonical_bytes(),
                _ => false,
            };
            if !same {
                return Err(ReplayError::Diverged { index: i });
            }
            i += 1;
        }
        if matches!(entries.get(i), Some(Entry::Output(_))) {
            return Err(ReplayError::Diverged { index: i });
        }
    }
    Ok(node)
}

fn apply<V: Value, D: Driver<V>>(node: &mut Node<V, D>, input: Input<V>) -> u16 {
    match input {
        Input::Nominate { now, slot, value, previous } => {
            error_code(&node.nominate(now, slot, value, previous))
        }
        Input::BumpBallot { now, slot, value } => error_code(&node.bump_ballot(now, slot, value)),
        Input::Statement { now, statement } => error_code(&node.handle_statement(now, statement)),
        Input::Timeouts { now } => {
            node.handle_timeouts(now);
            0
        }
        Input::AddQuorumSet { quorum_set } => error_code(&node.add_quorum_set(quorum_set)),
        Input::Restore { statement } => error_code(&node.restore(statement)),
        Input::StopNomination { slot } => {
            node.stop_nomination(slot);
            0
        }
        Input::PurgeBelow { slot } => {
            node.purge_slots_below(slot);
            0
        }
    }
}
