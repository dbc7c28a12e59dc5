//! stellar-core `SCPTests.cpp` "ballot protocol core5", ported: a 4-of-5 network v0..v4 where
//! v0 is the node under test, v-blocking sets have two nodes and a quorum is v0 plus three
//! others. Each test names the SECTION path it reproduces; the ladder (prepared → confirmed
//! prepared → accept commit → externalize) runs from `<1,x>` (A = x < B = z) and from `<1,z>`
//! (A = z > B = x), where some transitions become impossible (draft §2.4: `p` only grows).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mcnode_scp::{Ballot, Phase};

/// State of the ladder for one start value.
struct Ladder {
    scp: Scp,
    qh: Hash,
    a: u64,
    b: u64,
}

type Hash = mcnode_types::Hash32;

impl Ladder {
    fn a(&self, n: u32) -> Ballot<u64> {
        b(n, self.a)
    }
    fn bb(&self, n: u32) -> Ballot<u64> {
        b(n, self.b)
    }
    fn last(&self) -> &mcnode_scp::Statement<u64> {
        self.scp.envs.last().unwrap()
    }
    fn me(&self) -> mcnode_types::NodeId {
        v(0)
    }

    /// "start <1,a>": bumpState emits PREPARE <1,a>, no timer yet (nobody else is there).
    fn start(a: u64, bv: u64) -> Self {
        let (mut scp, qh) = core5();
        assert!(!scp.has_ballot_timer());
        assert!(scp.bump_state(1, a));
        assert_eq!(scp.envs.len(), 1);
        assert!(!scp.has_ballot_timer());
        verify_prepare(&scp.envs[0], v(0), qh, b(1, a), None, 0, 0, None);
        Ladder { scp, qh, a, b: bv }
    }

    /// "prepared A1": a quorum votes prepare(A1) → accept prepared, timer armed.
    fn prepared_a1(a: u64, bv: u64) -> Self {
        let mut l = Self::start(a, bv);
        let (qh, a1) = (l.qh, l.a(1));
        l.scp.recv_quorum_ex(prepare_gen(qh, a1.clone(), None, 0, 0, None), true);
        assert_eq!(l.scp.envs.len(), 2);
        verify_prepare(l.last(), l.me(), qh, a1.clone(), Some(a1), 0, 0, None);
        l
    }

    /// "bump prepared A2": local timeout to <2,a>, then a quorum at A2.
    fn bump_prepared_a2(a: u64, bv: u64) -> Self {
        let mut l = Self::prepared_a1(a, bv);
        let qh = l.qh;
        l.scp.bump_timer_offset();
        assert!(l.scp.bump_state(1, l.a));
        assert_eq!(l.scp.envs.len(), 3);
        verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.a(1)), 0, 0, None);
        assert!(!l.scp.has_ballot_timer(), "new counter: wait for a quorum before the timer");
        l.scp.recv_quorum_ex(prepare_gen(qh, l.a(2), None, 0, 0, None), true);
        assert_eq!(l.scp.envs.len(), 4);
        verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.a(2)), 0, 0, None);
        l
    }

    /// "Confirm prepared A2": quorum accepted A2 prepared → h = c = A2.
    fn confirm_prepared_a2(a: u64, bv: u64) -> Self {
        let mut l = Self::bump_prepared_a2(a, bv);
        let qh = l.qh;
        l.scp.recv_quorum(prepare_gen(qh, l.a(2), Some(l.a(2)), 0, 0, None));
        assert_eq!(l.scp.envs.len(), 5);
        verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.a(2)), 2, 2, None);
        assert!(!l.scp.has_ballot_timer_upcoming());
        l
    }

    /// "Accept commit / Quorum A2": quorum votes commit A2 → CONFIRM.
    fn accept_commit_quorum_a2(a: u64, bv: u64) -> Self {
        let mut l = Self::confirm_prepared_a2(a, bv);
        let qh = l.qh;
        l.scp.recv_quorum(prepare_gen(qh, l.a(2), Some(l.a(2)), 2, 2, None));
        assert_eq!(l.scp.envs.len(), 6);
        verify_confirm(l.last(), l.me(), qh, 2, l.a(2), 2, 2);
        assert!(!l.scp.has_ballot_timer_upcoming());
        l
    }

    /// "Quorum prepared A3": a v-blocking set at counter 3 bumps b (rule 9), then a quorum
    /// prepared A3.
    fn quorum_prepared_a3(a: u64, bv: u64) -> Self {
        let mut l = Self::accept_commit_quorum_a2(a, bv);
        let qh = l.qh;
        l.scp.recv_v_blocking(prepare_gen(qh, l.a(3), Some(l.a(2)), 2, 2, None));
        assert_eq!(l.scp.envs.len(), 7);
        verify_confirm(l.last(), l.me(), qh, 2, l.a(3), 2, 2);
        assert!(!l.scp.has_ballot_timer());
        l.scp.recv_quorum_ex(prepare_gen(qh, l.a(3), Some(l.a(2)), 2, 2, None), true);
        assert_eq!(l.scp.envs.len(), 8);
        verify_confirm(l.last(), l.me(), qh, 3, l.a(3), 2, 2);
        l
    }

    /// "Accept more commit A3": h moves to 3.
    fn accept_more_commit_a3(a: u64, bv: u64) -> Self {
        let mut l = Self::quorum_prepared_a3(a, bv);
        let qh = l.qh;
        l.scp.recv_quorum(prepare_gen(qh, l.a(3), Some(l.a(3)), 2, 3, None));
        assert_eq!(l.scp.envs.len(), 9);
        verify_confirm(l.last(), l.me(), qh, 3, l.a(3), 2, 3);
        assert!(!l.scp.has_ballot_timer_upcoming());
        assert!(l.scp.externalized.is_empty());
        l
    }
}

fn quorum_externalize_a3(a: u64, bv: u64) {
    let mut l = Ladder::accept_more_commit_a3(a, bv);
    let qh = l.qh;
    l.scp.recv_quorum(confirm_gen(qh, 3, l.a(3), 2, 3));
    assert_eq!(l.scp.envs.len(), 10);
    verify_externalize(l.last(), l.me(), qh, l.a(2), 3);
    assert!(!l.scp.has_ballot_timer());
    assert_eq!(l.scp.externalized, vec![(1, a)]);
    // Externalize happens once: more confirmations and duplicates change nothing.
    let again = confirm(v(4), qh, 3, l.a(3), 2, 3);
    assert!(l.scp.try_receive(again).is_err());
    assert_eq!(l.scp.externalized.len(), 1);
    assert_eq!(l.scp.envs.len(), 10);
}

#[test]
fn x_ladder_quorum_externalize_a3() {
    quorum_externalize_a3(X, Z);
}

#[test]
fn z_ladder_quorum_externalize_a3() {
    quorum_externalize_a3(Z, X);
}

fn v_blocking_accept_more_a3(a: u64, bv: u64) {
    // "v-blocking accept more A3 / Confirm A3": a v-blocking set accepted commit up to 3.
    let mut l = Ladder::quorum_prepared_a3(a, bv);
    let qh = l.qh;
    l.scp.recv_v_blocking(confirm_gen(qh, 3, l.a(3), 2, 3));
    assert_eq!(l.scp.envs.len(), 9);
    verify_confirm(l.last(), l.me(), qh, 3, l.a(3), 2, 3);
    assert!(!l.scp.has_ballot_timer_upcoming());

    // "Externalize A3": a v-blocking set externalized → accept commit up to infinity.
    let mut l = Ladder::quorum_prepared_a3(a, bv);
    l.scp.recv_v_blocking(externalize_gen(qh, l.a(2), 3));
    assert_eq!(l.scp.envs.len(), 9);
    verify_confirm(l.last(), l.me(), qh, u32::MAX, l.a(u32::MAX), 2, u32::MAX);
    assert!(!l.scp.has_ballot_timer());

    // "other nodes moved to c=A4 h=A5": Confirm A4..5, and Externalize A4..5.
    let mut l = Ladder::quorum_prepared_a3(a, bv);
    l.scp.recv_v_blocking(confirm_gen(qh, 3, l.a(5), 4, 5));
    assert_eq!(l.scp.envs.len(), 9);
    verify_confirm(l.last(), l.me(), qh, 3, l.a(5), 4, 5);
    assert!(!l.scp.has_ballot_timer());

    let mut l = Ladder::quorum_prepared_a3(a, bv);
    l.scp.recv_v_blocking(externalize_gen(qh, l.a(4), 5));
    assert_eq!(l.scp.envs.len(), 9);
    verify_confirm(l.last(), l.me(), qh, u32::MAX, l.a(u32::MAX), 4, u32::MAX);
    assert!(!l.scp.has_ballot_timer());
}

#[test]
fn x_v_blocking_accept_more_commit_a3() {
    v_blocking_accept_more_a3(X, Z);
}

#[test]
fn z_v_blocking_accept_more_commit_a3() {
    v_blocking_accept_more_a3(Z, X);
}

fn v_blocking_after_accept_commit(a: u64, bv: u64) {
    let qh = Ladder::start(a, bv).qh;
    // "v-blocking prepared A3": the counter jumps to 3 in CONFIRM.
    let mut l = Ladder::accept_commit_quorum_a2(a, bv);
    l.scp.recv_v_blocking(prepare_gen(qh, l.a(3), Some(l.a(3)), 2, 2, None));
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 3, l.a(3), 2, 2);
    assert!(!l.scp.has_ballot_timer());

    // "v-blocking prepared A3+B3" (p and p' swap with the value order).
    let mut l = Ladder::accept_commit_quorum_a2(a, bv);
    let mk = if a < bv {
        prepare_gen(qh, l.a(3), Some(l.bb(3)), 2, 2, Some(l.a(3)))
    } else {
        prepare_gen(qh, l.a(3), Some(l.a(3)), 2, 2, Some(l.bb(3)))
    };
    l.scp.recv_v_blocking(mk);
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 3, l.a(3), 2, 2);
    assert!(!l.scp.has_ballot_timer());

    // "v-blocking confirm A3".
    let mut l = Ladder::accept_commit_quorum_a2(a, bv);
    l.scp.recv_v_blocking(confirm_gen(qh, 3, l.a(3), 2, 2));
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 3, l.a(3), 2, 2);
    assert!(!l.scp.has_ballot_timer());
}

#[test]
fn x_v_blocking_shortcuts_in_confirm() {
    v_blocking_after_accept_commit(X, Z);
}

#[test]
fn z_v_blocking_shortcuts_in_confirm() {
    v_blocking_after_accept_commit(Z, X);
}

fn hang_does_not_switch_to_b_in_confirm(a: u64, bv: u64) {
    // "Hang - does not switch to B in CONFIRM / Network EXTERNALIZE": the network externalized
    // B, which we never accepted prepared; we jump the counter (EXTERNALIZE counts as
    // infinity) but stay on A and never externalize B.
    let mut l = Ladder::accept_commit_quorum_a2(a, bv);
    let qh = l.qh;
    l.scp.recv_v_blocking(externalize_gen(qh, l.bb(2), 3));
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 2, l.a(u32::MAX), 2, 2);
    assert!(!l.scp.has_ballot_timer());
    l.scp.recv_quorum_checks(externalize_gen(qh, l.bb(2), 3), false, false);
    assert_eq!(l.scp.envs.len(), 7);
    assert!(l.scp.externalized.is_empty());
    assert!(l.scp.has_ballot_timer_upcoming());

    // "Network CONFIRMS other ballot / at same counter": nothing happens, p is not switched.
    let mut l = Ladder::accept_commit_quorum_a2(a, bv);
    l.scp.recv_quorum_checks(confirm_gen(qh, 3, l.bb(2), 2, 3), false, false);
    assert_eq!(l.scp.envs.len(), 6);
    assert!(l.scp.externalized.is_empty());
    assert!(!l.scp.has_ballot_timer_upcoming());

    // "at a different counter": the counter follows, the value does not.
    let mut l = Ladder::accept_commit_quorum_a2(a, bv);
    l.scp.recv_v_blocking(confirm_gen(qh, 3, l.bb(3), 3, 3));
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 2, l.a(3), 2, 2);
    assert!(!l.scp.has_ballot_timer());
    l.scp.recv_quorum_checks(confirm_gen(qh, 3, l.bb(3), 3, 3), false, false);
    assert_eq!(l.scp.envs.len(), 7);
    assert!(l.scp.externalized.is_empty());
    assert!(l.scp.has_ballot_timer_upcoming());
}

#[test]
fn x_network_confirms_other_ballot() {
    hang_does_not_switch_to_b_in_confirm(X, Z);
}

#[test]
fn z_network_confirms_other_ballot() {
    hang_does_not_switch_to_b_in_confirm(Z, X);
}

fn v_blocking_from_confirm_prepared(a: u64, bv: u64) {
    // "Accept commit / v-blocking / CONFIRM A2, A3..4, B2; EXTERNALIZE A2, B2".
    let qh = Ladder::start(a, bv).qh;
    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(confirm_gen(qh, 2, l.a(2), 2, 2));
    assert_eq!(l.scp.envs.len(), 6);
    verify_confirm(l.last(), l.me(), qh, 2, l.a(2), 2, 2);
    assert!(!l.scp.has_ballot_timer_upcoming());

    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(confirm_gen(qh, 4, l.a(4), 3, 4));
    assert_eq!(l.scp.envs.len(), 6);
    verify_confirm(l.last(), l.me(), qh, 4, l.a(4), 3, 4);
    assert!(!l.scp.has_ballot_timer());

    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(confirm_gen(qh, 2, l.bb(2), 2, 2));
    assert_eq!(l.scp.envs.len(), 6);
    verify_confirm(l.last(), l.me(), qh, 2, l.bb(2), 2, 2);
    assert!(!l.scp.has_ballot_timer_upcoming());

    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(externalize_gen(qh, l.a(2), 2));
    assert_eq!(l.scp.envs.len(), 6);
    verify_confirm(l.last(), l.me(), qh, u32::MAX, l.a(u32::MAX), 2, u32::MAX);
    assert!(!l.scp.has_ballot_timer());

    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(externalize_gen(qh, l.bb(2), 2));
    assert_eq!(l.scp.envs.len(), 6);
    verify_confirm(l.last(), l.me(), qh, u32::MAX, l.bb(u32::MAX), 2, u32::MAX);
    assert!(!l.scp.has_ballot_timer());
}

#[test]
fn x_v_blocking_accept_commit_shortcuts() {
    v_blocking_from_confirm_prepared(X, Z);
}

#[test]
fn z_v_blocking_accept_commit_shortcuts() {
    v_blocking_from_confirm_prepared(Z, X);
}

#[test]
fn x_conflicting_prepared_b() {
    let (a, bv) = (X, Z);
    // "get conflicting prepared B / same counter": p = B2, p' = A2, c dropped (B2 > A2 aborts
    // the commit vote on A2), then a quorum confirms B2 → CONFIRM on B2.
    let mut l = Ladder::confirm_prepared_a2(a, bv);
    let qh = l.qh;
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(2), Some(l.bb(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.bb(2)), 0, 2, Some(l.a(2)));
    assert!(!l.scp.has_ballot_timer_upcoming());
    l.scp.recv_quorum(prepare_gen(qh, l.bb(2), Some(l.bb(2)), 2, 2, None));
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 2, l.bb(2), 2, 2);
    assert!(!l.scp.has_ballot_timer_upcoming());

    // "higher counter".
    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(3), Some(l.bb(2)), 2, 2, None));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(3), Some(l.bb(2)), 0, 2, Some(l.a(2)));
    assert!(!l.scp.has_ballot_timer());
    l.scp.recv_quorum_checks_ex(
        prepare_gen(qh, l.bb(3), Some(l.bb(2)), 2, 2, None),
        true,
        true,
        true,
    );
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 3, l.bb(3), 2, 2);

    // "higher counter mixed".
    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(prepare_gen(qh, l.a(3), Some(l.bb(3)), 0, 2, Some(l.a(2))));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(3), Some(l.bb(3)), 0, 2, Some(l.a(2)));
    l.scp.recv_quorum_ex(prepare_gen(qh, l.a(3), Some(l.bb(3)), 0, 2, Some(l.a(2))), true);
    assert_eq!(l.scp.envs.len(), 7);
    verify_prepare(l.last(), l.me(), qh, l.bb(3), Some(l.bb(3)), 3, 3, Some(l.a(3)));
}

#[test]
fn z_conflicting_prepared_b() {
    let (a, bv) = (Z, X);
    // "same counter": B2 < A2 so the messages are ignored.
    let mut l = Ladder::confirm_prepared_a2(a, bv);
    let qh = l.qh;
    l.scp.recv_quorum_checks(prepare_gen(qh, l.bb(2), Some(l.bb(2)), 0, 0, None), false, false);
    assert_eq!(l.scp.envs.len(), 5);
    assert!(!l.scp.has_ballot_timer_upcoming());

    // "higher counter": A2 > B2 → p = A2, p' = B2; delayed quorum to CONFIRM B3.
    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(3), Some(l.bb(2)), 2, 2, None));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(3), Some(l.a(2)), 2, 2, Some(l.bb(2)));
    assert!(!l.scp.has_ballot_timer());
    l.scp.recv_quorum_checks_ex(
        prepare_gen(qh, l.bb(3), Some(l.bb(2)), 2, 2, None),
        true,
        true,
        true,
    );
    assert_eq!(l.scp.envs.len(), 7);
    verify_confirm(l.last(), l.me(), qh, 3, l.bb(3), 2, 2);

    // "higher counter mixed": h = B3 cannot replace b (z = B), timeout bumps to B4.
    let mut l = Ladder::confirm_prepared_a2(a, bv);
    l.scp.recv_v_blocking(prepare_gen(qh, l.a(3), Some(l.bb(3)), 0, 2, Some(l.a(2))));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(3), Some(l.bb(3)), 0, 2, Some(l.a(2)));
    l.scp.recv_quorum_ex(prepare_gen(qh, l.a(3), Some(l.bb(3)), 0, 2, Some(l.a(2))), true);
    assert_eq!(l.scp.envs.len(), 7);
    verify_prepare(l.last(), l.me(), qh, l.a(3), Some(l.a(3)), 0, 2, Some(l.bb(3)));
    assert!(l.scp.has_ballot_timer_upcoming());
    l.scp.fire_ballot_timer();
    assert_eq!(l.scp.envs.len(), 8);
    verify_prepare(l.last(), l.me(), qh, l.bb(4), Some(l.a(3)), 0, 3, Some(l.bb(3)));
}

#[test]
fn x_confirm_prepared_mixed() {
    let (a, bv) = (X, Z);
    let make = || {
        let mut l = Ladder::bump_prepared_a2(a, bv);
        let qh = l.qh;
        l.scp.recv_v_blocking(prepare_gen(qh, l.bb(2), Some(l.bb(2)), 0, 0, Some(l.a(2))));
        assert_eq!(l.scp.envs.len(), 5);
        verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.bb(2)), 0, 0, Some(l.a(2)));
        assert!(!l.scp.has_ballot_timer_upcoming());
        l
    };
    // "mixed A2": h = A2 but c stays 0 because p = B2 is above and incompatible.
    let mut l = make();
    let qh = l.qh;
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(3), qh, l.a(2), Some(l.a(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.bb(2)), 0, 2, Some(l.a(2)));
    assert!(!l.scp.has_ballot_timer_upcoming());
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(4), qh, l.a(2), Some(l.a(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);
    assert!(!l.scp.has_ballot_timer_upcoming());

    // "mixed B2": h = c = B2 and b follows.
    let mut l = make();
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(3), qh, l.bb(2), Some(l.bb(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.bb(2), Some(l.bb(2)), 2, 2, Some(l.a(2)));
    assert!(!l.scp.has_ballot_timer_upcoming());
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(4), qh, l.bb(2), Some(l.bb(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);
    assert!(!l.scp.has_ballot_timer_upcoming());
}

#[test]
fn z_confirm_prepared_mixed() {
    let (a, bv) = (Z, X);
    let make = || {
        let mut l = Ladder::bump_prepared_a2(a, bv);
        let qh = l.qh;
        l.scp.recv_v_blocking(prepare_gen(qh, l.a(2), Some(l.a(2)), 0, 0, Some(l.bb(2))));
        assert_eq!(l.scp.envs.len(), 5);
        verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.a(2)), 0, 0, Some(l.bb(2)));
        assert!(!l.scp.has_ballot_timer_upcoming());
        l
    };
    // "mixed A2": h = c = A2.
    let mut l = make();
    let qh = l.qh;
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(3), qh, l.a(2), Some(l.a(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.a(2)), 2, 2, Some(l.bb(2)));
    assert!(!l.scp.has_ballot_timer_upcoming());
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(4), qh, l.a(2), Some(l.a(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);

    // "mixed B2": B2 confirmed prepared is not compatible with b → no-op.
    let mut l = make();
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(3), qh, l.a(2), Some(l.bb(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 5);
    assert!(!l.scp.has_ballot_timer_upcoming());
    l.scp.bump_timer_offset();
    l.scp.receive(prepare(v(4), qh, l.bb(2), Some(l.bb(2)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 5);
    assert!(!l.scp.has_ballot_timer_upcoming());
}

#[test]
fn x_switch_prepared_b1_from_a1() {
    let (a, bv) = (X, Z);
    let (mid, big) = (Y, ZZ);
    let make = || {
        let mut l = Ladder::prepared_a1(a, bv);
        let qh = l.qh;
        // (p, p') = (B1, A1).
        l.scp.recv_v_blocking(prepare_gen(qh, l.bb(1), Some(l.bb(1)), 0, 0, None));
        assert_eq!(l.scp.envs.len(), 3);
        verify_prepare(l.last(), l.me(), qh, l.a(1), Some(l.bb(1)), 0, 0, Some(l.a(1)));
        assert!(!l.scp.has_ballot_timer_upcoming());
        // v-blocking at n = 2 → rule 9 bumps the counter.
        l.scp.recv_v_blocking(prepare_gen(qh, l.bb(2), None, 0, 0, None));
        assert_eq!(l.scp.envs.len(), 4);
        verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.bb(1)), 0, 0, Some(l.a(1)));
        // p moves B1 → B2.
        l.scp.recv_v_blocking(prepare_gen(qh, l.bb(2), Some(l.bb(2)), 0, 0, None));
        assert_eq!(l.scp.envs.len(), 5);
        verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.bb(2)), 0, 0, Some(l.a(1)));
        assert!(!l.scp.has_ballot_timer());
        l
    };
    // "v-blocking switches to previous value of p".
    let mut l = make();
    let qh = l.qh;
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(3), None, 0, 0, None));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(3), Some(l.bb(2)), 0, 0, Some(l.a(1)));
    assert!(!l.scp.has_ballot_timer());
    l.scp.recv_v_blocking_checks(prepare_gen(qh, l.bb(3), Some(l.bb(1)), 0, 0, None), false);
    assert_eq!(l.scp.envs.len(), 6);
    assert!(!l.scp.has_ballot_timer());

    // "switch p' to Mid2".
    let mut l = make();
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(2), Some(l.bb(2)), 0, 0, Some(b(2, mid))));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.bb(2)), 0, 0, Some(b(2, mid)));

    // "switch again Big2": both p and p' move.
    let mut l = make();
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(2), Some(b(2, big)), 0, 0, Some(l.bb(2))));
    assert_eq!(l.scp.envs.len(), 6);
    verify_prepare(l.last(), l.me(), qh, l.a(2), Some(b(2, big)), 0, 0, Some(l.bb(2)));
    assert!(!l.scp.has_ballot_timer());
}

#[test]
fn z_switch_prepared_b1_impossible() {
    // "start <1,z> / switch prepared B1 from A1" and "switch prepare B1": B1 < A1, nothing.
    let mut l = Ladder::prepared_a1(Z, X);
    let qh = l.qh;
    l.scp.recv_quorum_checks(prepare_gen(qh, l.bb(1), Some(l.bb(1)), 0, 0, None), false, false);
    assert_eq!(l.scp.envs.len(), 2);
    assert!(!l.scp.has_ballot_timer_upcoming());
    let mut l = Ladder::prepared_a1(Z, X);
    l.scp.recv_quorum_checks(prepare_gen(qh, l.bb(1), None, 0, 0, None), false, false);
    assert_eq!(l.scp.envs.len(), 2);
}

#[test]
fn x_switch_prepare_b1_by_quorum() {
    // "switch prepare B1": a quorum votes B1 > A1 → p = B1, p' = A1.
    let mut l = Ladder::prepared_a1(X, Z);
    let qh = l.qh;
    l.scp.recv_quorum_checks(prepare_gen(qh, l.bb(1), None, 0, 0, None), true, true);
    assert_eq!(l.scp.envs.len(), 3);
    verify_prepare(l.last(), l.me(), qh, l.a(1), Some(l.bb(1)), 0, 0, Some(l.a(1)));
    assert!(!l.scp.has_ballot_timer_upcoming());
}

fn prepare_higher_counter_v_blocking(a: u64, bv: u64) {
    // "prepare higher counter (v-blocking)": rule 9 — a v-blocking set strictly ahead pulls
    // the counter up, keeping our value.
    let mut l = Ladder::prepared_a1(a, bv);
    let qh = l.qh;
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(2), None, 0, 0, None));
    assert_eq!(l.scp.envs.len(), 3);
    verify_prepare(l.last(), l.me(), qh, l.a(2), Some(l.a(1)), 0, 0, None);
    assert!(!l.scp.has_ballot_timer());
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(3), None, 0, 0, None));
    assert_eq!(l.scp.envs.len(), 4);
    verify_prepare(l.last(), l.me(), qh, l.a(3), Some(l.a(1)), 0, 0, None);
    assert!(!l.scp.has_ballot_timer());
}

#[test]
fn x_prepare_higher_counter_v_blocking() {
    prepare_higher_counter_v_blocking(X, Z);
}

#[test]
fn z_prepare_higher_counter_v_blocking() {
    prepare_higher_counter_v_blocking(Z, X);
}

fn from_start_shortcuts(a: u64, bv: u64) {
    let qh = Ladder::start(a, bv).qh;
    // "prepared B (v-blocking)".
    let mut l = Ladder::start(a, bv);
    l.scp.recv_v_blocking(prepare_gen(qh, l.bb(1), Some(l.bb(1)), 0, 0, None));
    assert_eq!(l.scp.envs.len(), 2);
    verify_prepare(l.last(), l.me(), qh, l.a(1), Some(l.bb(1)), 0, 0, None);
    assert!(!l.scp.has_ballot_timer());

    // "prepare B (quorum)": a quorum (with us voting A1 < or > B1 — we only count ballots
    // compatible with B1, so it is a delayed quorum of the four others).
    let mut l = Ladder::start(a, bv);
    l.scp.recv_quorum_checks_ex(prepare_gen(qh, l.bb(1), None, 0, 0, None), true, true, true);
    assert_eq!(l.scp.envs.len(), 2);
    verify_prepare(l.last(), l.me(), qh, l.a(1), Some(l.bb(1)), 0, 0, None);

    // "confirm (v-blocking) / via CONFIRM".
    let mut l = Ladder::start(a, bv);
    l.scp.bump_timer_offset();
    l.scp.receive(confirm(v(1), qh, 3, l.a(3), 3, 3));
    l.scp.receive(confirm(v(2), qh, 4, l.a(4), 2, 4));
    assert_eq!(l.scp.envs.len(), 2);
    verify_confirm(l.last(), l.me(), qh, 3, l.a(3), 3, 3);
    assert!(!l.scp.has_ballot_timer());

    // "via EXTERNALIZE".
    let mut l = Ladder::start(a, bv);
    l.scp.receive(externalize(v(1), qh, l.a(2), 4));
    l.scp.receive(externalize(v(2), qh, l.a(3), 5));
    assert_eq!(l.scp.envs.len(), 2);
    verify_confirm(l.last(), l.me(), qh, u32::MAX, l.a(u32::MAX), 3, u32::MAX);
    assert!(!l.scp.has_ballot_timer());
}

#[test]
fn x_start_shortcuts() {
    from_start_shortcuts(X, Z);
}

#[test]
fn z_start_shortcuts() {
    from_start_shortcuts(Z, X);
}

#[test]
fn phase_is_externalize_after_ladder() {
    let mut l = Ladder::accept_more_commit_a3(X, Z);
    let qh = l.qh;
    l.scp.recv_quorum(confirm_gen(qh, 3, l.a(3), 2, 3));
    let info = l.scp.node.slot_info(1).unwrap();
    assert_eq!(info.phase, Phase::Externalize);
    assert_eq!(l.scp.node.externalized_value(1), Some(&X));
}
