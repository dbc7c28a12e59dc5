//! Test harness modelled on stellar-core's `TestSCP` (src/scp/test/SCPTests.cpp): one local
//! node v0 whose emitted statements, externalizations and ballot timer are recorded, and
//! helpers that build the statements of the other nodes v1..v4.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_arguments
)]

use std::collections::BTreeSet;

use mcnode_scp::{
    Ballot, Confirm, Driver, Externalize, Node, Nominate, Output, Pledge, Prepare, QuorumSet,
    ScpConfig, Statement, Time, TimerKind, Validity,
};
use mcnode_types::{Hash32, NodeId, SlotIndex};

/// stellar-core's test values, in the same order: x < y < z < zz.
pub const X: u64 = 10;
pub const Y: u64 = 20;
pub const Z: u64 = 30;
pub const ZZ: u64 = 40;

/// Node `i` of a test network.
pub fn v(i: u8) -> NodeId {
    NodeId([i + 1; 32])
}

/// All values valid except those listed; "maybe valid later" for the second list. Combine
/// takes the largest candidate.
#[derive(Clone, Debug, Default)]
pub struct TestDriver {
    pub invalid: BTreeSet<u64>,
    pub maybe: BTreeSet<u64>,
}

impl Driver<u64> for TestDriver {
    fn validate(&mut self, _slot: SlotIndex, value: &u64) -> Validity {
        if self.invalid.contains(value) {
            Validity::Invalid
        } else if self.maybe.contains(value) {
            Validity::MaybeValidLater
        } else {
            Validity::Valid
        }
    }

    fn combine(&mut self, _slot: SlotIndex, candidates: &[u64]) -> Option<u64> {
        candidates.iter().max().copied()
    }
}

/// The local node under test plus everything it produced.
pub struct Scp {
    pub node: Node<u64, TestDriver>,
    pub envs: Vec<Statement<u64>>,
    pub externalized: Vec<(SlotIndex, u64)>,
    pub ballot_timer: Option<Time>,
    pub nomination_timer: Option<Time>,
    /// Whether the ballot timer was (re)armed since the last `bump_timer_offset`.
    pub ballot_timer_fresh: bool,
    pub now: Time,
    pub qset_hash: Hash32,
}

impl Scp {
    pub fn new(local: NodeId, qset: QuorumSet) -> Self {
        Self::with_config(local, qset, ScpConfig::default())
    }

    pub fn with_config(local: NodeId, qset: QuorumSet, config: ScpConfig) -> Self {
        let node = Node::new(local, qset.clone(), config, TestDriver::default()).unwrap();
        Scp {
            qset_hash: qset.hash(),
            node,
            envs: Vec::new(),
            externalized: Vec::new(),
            ballot_timer: None,
            nomination_timer: None,
            ballot_timer_fresh: false,
            now: Time(0),
        }
    }

    pub fn pump(&mut self) {
        while let Some(o) = self.node.poll_output() {
            match o {
                Output::Emit(st) => self.envs.push(st),
                Output::Externalized { slot, value } => {
                    assert!(
                        !self.externalized.iter().any(|(s, _)| *s == slot),
                        "slot {slot} externalized twice"
                    );
                    self.externalized.push((slot, value));
                }
                Output::SetTimer { timer, deadline } => match timer.kind {
                    TimerKind::Ballot => {
                        self.ballot_timer = Some(deadline);
                        self.ballot_timer_fresh = true;
                    }
                    TimerKind::Nomination => self.nomination_timer = Some(deadline),
                },
                Output::CancelTimer { timer } => match timer.kind {
                    TimerKind::Ballot => {
                        self.ballot_timer = None;
                        self.ballot_timer_fresh = false;
                    }
                    TimerKind::Nomination => self.nomination_timer = None,
                },
            }
        }
    }

    /// Receives a statement; a rejected one is ignored, as stellar-core's harness does
    /// (rejection itself is tested where it matters).
    pub fn receive(&mut self, st: Statement<u64>) {
        let _ = self.node.handle_statement(self.now, st);
        self.pump();
    }

    /// Receives a statement that may be rejected.
    pub fn try_receive(&mut self, st: Statement<u64>) -> Result<(), mcnode_scp::StatementError> {
        let r = self.node.handle_statement(self.now, st);
        self.pump();
        r
    }

    pub fn bump_state(&mut self, slot: SlotIndex, value: u64) -> bool {
        let r = self.node.bump_ballot(self.now, slot, value).unwrap();
        self.pump();
        r
    }

    pub fn nominate(&mut self, slot: SlotIndex, value: u64, prev: Hash32) {
        self.node.nominate(self.now, slot, value, prev).unwrap();
        self.pump();
    }

    /// Moves time to `t` and fires what is due.
    pub fn advance_to(&mut self, t: Time) {
        self.now = t;
        // A fired timer is no longer armed (the node does not send a cancel for it).
        if self.ballot_timer.is_some_and(|d| d <= t) {
            self.ballot_timer = None;
            self.ballot_timer_fresh = false;
        }
        if self.nomination_timer.is_some_and(|d| d <= t) {
            self.nomination_timer = None;
        }
        self.node.handle_timeouts(t);
        self.pump();
    }

    /// Fires the ballot timer now (stellar-core tests call the timer callback directly).
    pub fn fire_ballot_timer(&mut self) {
        let t = self.ballot_timer.expect("ballot timer armed");
        self.advance_to(t);
    }

    /// Fires the nomination timer.
    pub fn fire_nomination_timer(&mut self) {
        let t = self.nomination_timer.expect("nomination timer armed");
        self.advance_to(t);
    }

    /// stellar-core's `bumpTimerOffset`: timers armed before this are no longer "upcoming".
    pub fn bump_timer_offset(&mut self) {
        self.ballot_timer_fresh = false;
    }

    pub fn has_ballot_timer(&self) -> bool {
        self.ballot_timer.is_some()
    }

    pub fn has_ballot_timer_upcoming(&self) -> bool {
        self.ballot_timer.is_some() && self.ballot_timer_fresh
    }

    /// v1 and v2 send (a v-blocking set in core5): nothing may be emitted after the first.
    pub fn recv_v_blocking_checks(&mut self, mk: impl Fn(NodeId) -> Statement<u64>, checks: bool) {
        self.bump_timer_offset();
        let i = self.envs.len();
        self.receive(mk(v(1)));
        if checks {
            assert_eq!(self.envs.len(), i, "first v-blocking message changed nothing");
        }
        self.receive(mk(v(2)));
        if checks {
            assert_eq!(self.envs.len(), i + 1, "v-blocking set caused exactly one statement");
        }
    }

    pub fn recv_v_blocking(&mut self, mk: impl Fn(NodeId) -> Statement<u64>) {
        self.recv_v_blocking_checks(mk, true)
    }

    /// v1..v3 send (with v0: a quorum in core5), then v4 whose message must change nothing
    /// (or, with `delayed`, completes the quorum).
    pub fn recv_quorum_checks_ex(
        &mut self,
        mk: impl Fn(NodeId) -> Statement<u64>,
        checks: bool,
        delayed: bool,
        check_upcoming: bool,
    ) {
        self.bump_timer_offset();
        self.receive(mk(v(1)));
        self.receive(mk(v(2)));
        let i = self.envs.len() + 1;
        self.receive(mk(v(3)));
        if checks && !delayed {
            assert_eq!(self.envs.len(), i, "quorum caused exactly one statement");
        }
        if check_upcoming && !delayed {
            assert!(self.has_ballot_timer_upcoming(), "ballot timer armed on quorum");
        }
        self.receive(mk(v(4)));
        if checks && delayed {
            assert_eq!(self.envs.len(), i, "delayed quorum caused exactly one statement");
        }
        if check_upcoming && delayed {
            assert!(self.has_ballot_timer_upcoming(), "ballot timer armed on delayed quorum");
        }
    }

    pub fn recv_quorum_checks(
        &mut self,
        mk: impl Fn(NodeId) -> Statement<u64>,
        checks: bool,
        delayed: bool,
    ) {
        self.recv_quorum_checks_ex(mk, checks, delayed, false)
    }

    pub fn recv_quorum_ex(&mut self, mk: impl Fn(NodeId) -> Statement<u64>, check_upcoming: bool) {
        self.recv_quorum_checks_ex(mk, true, false, check_upcoming)
    }

    pub fn recv_quorum(&mut self, mk: impl Fn(NodeId) -> Statement<u64>) {
        self.recv_quorum_ex(mk, false)
    }
}

pub fn b(counter: u32, value: u64) -> Ballot<u64> {
    Ballot::new(counter, value)
}

/// `makePrepare(node, qset, slot 0 → our slot 1, ballot, prepared, nC, nH, preparedPrime)`.
pub fn prepare(
    node: NodeId,
    qset_hash: Hash32,
    ballot: Ballot<u64>,
    prepared: Option<Ballot<u64>>,
    n_c: u32,
    n_h: u32,
    prepared_prime: Option<Ballot<u64>>,
) -> Statement<u64> {
    Statement {
        node_id: node,
        slot: 1,
        quorum_set_hash: qset_hash,
        pledge: Pledge::Prepare(Prepare { ballot, prepared, prepared_prime, n_c, n_h }),
    }
}

pub fn confirm(
    node: NodeId,
    qset_hash: Hash32,
    n_prepared: u32,
    ballot: Ballot<u64>,
    n_commit: u32,
    n_h: u32,
) -> Statement<u64> {
    Statement {
        node_id: node,
        slot: 1,
        quorum_set_hash: qset_hash,
        pledge: Pledge::Confirm(Confirm { ballot, n_prepared, n_commit, n_h }),
    }
}

pub fn externalize(
    node: NodeId,
    qset_hash: Hash32,
    commit: Ballot<u64>,
    n_h: u32,
) -> Statement<u64> {
    Statement {
        node_id: node,
        slot: 1,
        quorum_set_hash: qset_hash,
        pledge: Pledge::Externalize(Externalize { commit, n_h }),
    }
}

pub fn nominate(
    node: NodeId,
    qset_hash: Hash32,
    votes: &[u64],
    accepted: &[u64],
) -> Statement<u64> {
    Statement {
        node_id: node,
        slot: 1,
        quorum_set_hash: qset_hash,
        pledge: Pledge::Nominate(Nominate { votes: votes.to_vec(), accepted: accepted.to_vec() }),
    }
}

/// `makePrepareGen`: the same PREPARE from any node.
pub fn prepare_gen(
    qset_hash: Hash32,
    ballot: Ballot<u64>,
    prepared: Option<Ballot<u64>>,
    n_c: u32,
    n_h: u32,
    prepared_prime: Option<Ballot<u64>>,
) -> impl Fn(NodeId) -> Statement<u64> {
    move |n| {
        prepare(n, qset_hash, ballot.clone(), prepared.clone(), n_c, n_h, prepared_prime.clone())
    }
}

pub fn confirm_gen(
    qset_hash: Hash32,
    n_prepared: u32,
    ballot: Ballot<u64>,
    n_commit: u32,
    n_h: u32,
) -> impl Fn(NodeId) -> Statement<u64> {
    move |n| confirm(n, qset_hash, n_prepared, ballot.clone(), n_commit, n_h)
}

pub fn externalize_gen(
    qset_hash: Hash32,
    commit: Ballot<u64>,
    n_h: u32,
) -> impl Fn(NodeId) -> Statement<u64> {
    move |n| externalize(n, qset_hash, commit.clone(), n_h)
}

/// `verifyPrepare`.
#[track_caller]
pub fn verify_prepare(
    st: &Statement<u64>,
    node: NodeId,
    qset_hash: Hash32,
    ballot: Ballot<u64>,
    prepared: Option<Ballot<u64>>,
    n_c: u32,
    n_h: u32,
    prepared_prime: Option<Ballot<u64>>,
) {
    let want = prepare(node, qset_hash, ballot, prepared, n_c, n_h, prepared_prime);
    assert_eq!(st, &want);
}

#[track_caller]
pub fn verify_confirm(
    st: &Statement<u64>,
    node: NodeId,
    qset_hash: Hash32,
    n_prepared: u32,
    ballot: Ballot<u64>,
    n_commit: u32,
    n_h: u32,
) {
    assert_eq!(st, &confirm(node, qset_hash, n_prepared, ballot, n_commit, n_h));
}

#[track_caller]
pub fn verify_externalize(
    st: &Statement<u64>,
    node: NodeId,
    qset_hash: Hash32,
    commit: Ballot<u64>,
    n_h: u32,
) {
    assert_eq!(st, &externalize(node, qset_hash, commit, n_h));
}

#[track_caller]
pub fn verify_nominate(
    st: &Statement<u64>,
    node: NodeId,
    qset_hash: Hash32,
    votes: &[u64],
    accepted: &[u64],
) {
    assert_eq!(st, &nominate(node, qset_hash, votes, accepted));
}

/// The core5 network: 4-of-5 over v0..v4 (v-blocking sets have 2 nodes).
pub fn core5() -> (Scp, Hash32) {
    let qset = QuorumSet::new(4, (0..5).map(v).collect());
    let h = qset.hash();
    (Scp::new(v(0), qset), h)
}
