//! More of stellar-core's `SCPTests.cpp` ballot scenarios: core5 "start from pristine",
//! "normal round (1,x)", "range check", the four timeout scenarios, "non validator watching
//! the network", "restore ballot protocol", and the core3 (2-of-3) cases where a v-blocking
//! set is also a quorum.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mcnode_scp::{Phase, QuorumSet, RestoreError, ScpConfig, StatementError, Time};

// ---------------------------------------------------------------- start from pristine

/// "start from pristine": statements arrive before the local node has a ballot. It accepts
/// and confirms things for itself but emits only once it has a ballot to speak of.
fn pristine_prepared_a1() -> (Scp, mcnode_types::Hash32) {
    let (mut scp, qh) = core5();
    scp.recv_quorum_checks(prepare_gen(qh, b(1, X), None, 0, 0, None), false, false);
    assert!(scp.envs.is_empty());
    (scp, qh)
}

#[test]
fn pristine_quorum_a2_confirms_prepared() {
    let (mut scp, qh) = pristine_prepared_a1();
    let a2 = b(2, X);
    scp.recv_v_blocking_checks(prepare_gen(qh, a2.clone(), Some(a2.clone()), 0, 0, None), false);
    assert!(scp.envs.is_empty());
    scp.recv_v_blocking_checks(prepare_gen(qh, a2.clone(), Some(a2.clone()), 0, 0, None), false);
    assert!(scp.envs.is_empty());
    scp.recv_quorum(prepare_gen(qh, a2.clone(), Some(a2.clone()), 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    verify_prepare(&scp.envs[0], v(0), qh, a2.clone(), Some(a2), 1, 2, None);
}

#[test]
fn pristine_quorum_b2_confirms_prepared() {
    let (mut scp, qh) = pristine_prepared_a1();
    let (a2, b2) = (b(2, X), b(2, Z));
    scp.recv_v_blocking_checks(prepare_gen(qh, a2.clone(), Some(a2.clone()), 0, 0, None), false);
    scp.recv_v_blocking_checks(prepare_gen(qh, b2.clone(), Some(b2.clone()), 0, 0, None), false);
    assert!(scp.envs.is_empty());
    scp.recv_quorum(prepare_gen(qh, b2.clone(), Some(b2.clone()), 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    verify_prepare(&scp.envs[0], v(0), qh, b2.clone(), Some(b2), 2, 2, Some(a2));
}

#[test]
fn pristine_accept_commit_by_quorum() {
    for val in [X, Z] {
        let (mut scp, qh) = pristine_prepared_a1();
        let a2 = b(2, X);
        scp.recv_v_blocking_checks(
            prepare_gen(qh, a2.clone(), Some(a2.clone()), 0, 0, None),
            false,
        );
        let v2 = b(2, val);
        scp.recv_quorum(prepare_gen(qh, v2.clone(), Some(v2.clone()), 2, 2, None));
        assert_eq!(scp.envs.len(), 1);
        verify_confirm(&scp.envs[0], v(0), qh, 2, v2, 2, 2);
    }
}

#[test]
fn pristine_v_blocking_confirm_and_externalize() {
    let setup = || {
        let (mut scp, qh) = pristine_prepared_a1();
        let a2 = b(2, X);
        scp.recv_v_blocking_checks(prepare_gen(qh, a2.clone(), Some(a2), 0, 0, None), false);
        (scp, qh)
    };
    let (mut scp, qh) = setup();
    scp.recv_v_blocking(confirm_gen(qh, 2, b(2, X), 2, 2));
    verify_confirm(&scp.envs[0], v(0), qh, 2, b(2, X), 2, 2);
    let (mut scp, qh) = setup();
    scp.recv_v_blocking(confirm_gen(qh, 4, b(4, X), 3, 4));
    verify_confirm(&scp.envs[0], v(0), qh, 4, b(4, X), 3, 4);
    let (mut scp, qh) = setup();
    scp.recv_v_blocking(confirm_gen(qh, 2, b(2, Z), 2, 2));
    verify_confirm(&scp.envs[0], v(0), qh, 2, b(2, Z), 2, 2);
    let (mut scp, qh) = setup();
    scp.recv_v_blocking(externalize_gen(qh, b(2, X), 2));
    verify_confirm(&scp.envs[0], v(0), qh, u32::MAX, b(u32::MAX, X), 2, u32::MAX);
    let (mut scp, qh) = setup();
    scp.recv_v_blocking(externalize_gen(qh, b(2, Z), 2));
    verify_confirm(&scp.envs[0], v(0), qh, u32::MAX, b(u32::MAX, Z), 2, u32::MAX);
}

#[test]
fn pristine_confirm_prepared_mixed() {
    let setup = || {
        let (mut scp, qh) = pristine_prepared_a1();
        let (a2, b2) = (b(2, X), b(2, Z));
        scp.recv_v_blocking_checks(
            prepare_gen(qh, a2.clone(), Some(a2.clone()), 0, 0, None),
            false,
        );
        scp.recv_v_blocking_checks(
            prepare_gen(qh, a2.clone(), Some(b2.clone()), 0, 0, Some(a2.clone())),
            false,
        );
        assert!(scp.envs.is_empty());
        (scp, qh)
    };
    // "mixed A2": h = A2, c = 0 as p = B2 is above and incompatible.
    let (mut scp, qh) = setup();
    scp.receive(prepare(v(3), qh, b(2, X), Some(b(2, X)), 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    verify_prepare(&scp.envs[0], v(0), qh, b(2, X), Some(b(2, Z)), 0, 2, Some(b(2, X)));
    scp.receive(prepare(v(4), qh, b(2, X), Some(b(2, X)), 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    // "mixed B2": h = c = B2.
    let (mut scp, qh) = setup();
    scp.receive(prepare(v(3), qh, b(2, Z), Some(b(2, Z)), 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    verify_prepare(&scp.envs[0], v(0), qh, b(2, Z), Some(b(2, Z)), 2, 2, Some(b(2, X)));
    scp.receive(prepare(v(4), qh, b(2, Z), Some(b(2, Z)), 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
}

#[test]
fn pristine_silent_accepts_and_confirm_shortcuts() {
    // "switch prepared B1" and "prepared B (v-blocking)": accepted silently.
    let (mut scp, qh) = pristine_prepared_a1();
    scp.recv_v_blocking_checks(prepare_gen(qh, b(1, Z), Some(b(1, Z)), 0, 0, None), false);
    assert!(scp.envs.is_empty());
    assert_eq!(scp.node.slot_info(1).unwrap().prepared, Some(b(1, Z)));
    // "confirm (v-blocking) via CONFIRM" and "via EXTERNALIZE".
    let (mut scp, qh) = core5();
    scp.receive(confirm(v(1), qh, 3, b(3, X), 3, 3));
    scp.receive(confirm(v(2), qh, 4, b(4, X), 2, 4));
    assert_eq!(scp.envs.len(), 1);
    verify_confirm(&scp.envs[0], v(0), qh, 3, b(3, X), 3, 3);
    let (mut scp, qh) = core5();
    scp.receive(externalize(v(1), qh, b(2, X), 4));
    scp.receive(externalize(v(2), qh, b(3, X), 5));
    assert_eq!(scp.envs.len(), 1);
    verify_confirm(&scp.envs[0], v(0), qh, u32::MAX, b(u32::MAX, X), 3, u32::MAX);
}

// ---------------------------------------------------------------- normal round, range

/// stellar-core `nodesAllPledgeToCommit`: everyone prepares (1,x) and confirms it prepared.
fn nodes_all_pledge_to_commit() -> (Scp, mcnode_types::Hash32) {
    let (mut scp, qh) = core5();
    let b1 = b(1, X);
    assert!(scp.bump_state(1, X));
    assert_eq!(scp.envs.len(), 1);
    verify_prepare(&scp.envs[0], v(0), qh, b1.clone(), None, 0, 0, None);
    scp.receive(prepare(v(1), qh, b1.clone(), None, 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    assert!(!scp.has_ballot_timer(), "no quorum at counter 1 yet: no timer (#1548)");
    scp.receive(prepare(v(2), qh, b1.clone(), None, 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    assert!(!scp.has_ballot_timer());
    scp.receive(prepare(v(3), qh, b1.clone(), None, 0, 0, None));
    assert_eq!(scp.envs.len(), 2);
    assert!(scp.has_ballot_timer(), "heard from a quorum at counter 1: timer armed");
    verify_prepare(&scp.envs[1], v(0), qh, b1.clone(), Some(b1.clone()), 0, 0, None);
    scp.receive(prepare(v(4), qh, b1.clone(), None, 0, 0, None));
    assert_eq!(scp.envs.len(), 2);
    scp.receive(prepare(v(4), qh, b1.clone(), Some(b1.clone()), 0, 0, None));
    scp.receive(prepare(v(3), qh, b1.clone(), Some(b1.clone()), 0, 0, None));
    assert_eq!(scp.envs.len(), 2);
    scp.receive(prepare(v(2), qh, b1.clone(), Some(b1.clone()), 0, 0, None));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, b1.clone(), Some(b1.clone()), 1, 1, None);
    scp.receive(prepare(v(1), qh, b1.clone(), Some(b1), 0, 0, None));
    assert_eq!(scp.envs.len(), 3);
    (scp, qh)
}

#[test]
fn normal_round_externalizes_once() {
    let (mut scp, qh) = nodes_all_pledge_to_commit();
    let b1 = b(1, X);
    scp.receive(prepare(v(1), qh, b1.clone(), Some(b1.clone()), 1, 1, None));
    scp.receive(prepare(v(2), qh, b1.clone(), Some(b1.clone()), 1, 1, None));
    assert_eq!(scp.envs.len(), 3);
    scp.receive(prepare(v(3), qh, b1.clone(), Some(b1.clone()), 1, 1, None));
    assert_eq!(scp.envs.len(), 4);
    verify_confirm(&scp.envs[3], v(0), qh, 1, b1.clone(), 1, 1);
    scp.receive(confirm(v(1), qh, 1, b1.clone(), 1, 1));
    scp.receive(confirm(v(2), qh, 1, b1.clone(), 1, 1));
    assert_eq!(scp.envs.len(), 4);
    scp.receive(confirm(v(3), qh, 1, b1.clone(), 1, 1));
    assert_eq!(scp.envs.len(), 5);
    assert_eq!(scp.externalized, vec![(1, X)]);
    verify_externalize(&scp.envs[4], v(0), qh, b1.clone(), 1);
    // Extra vote and duplicate: no-ops, the duplicate is rejected as not newer.
    scp.receive(confirm(v(4), qh, 1, b1.clone(), 1, 1));
    assert_eq!(
        scp.try_receive(confirm(v(2), qh, 1, b1.clone(), 1, 1)),
        Err(StatementError::NotNewer)
    );
    assert_eq!(scp.envs.len(), 5);
    assert_eq!(scp.externalized.len(), 1);
    // "bumpToBallot prevented once committed" by value, by counter, by both.
    for b2 in [b(1, Z), b(2, X), b(2, Z)] {
        let mut s2 = {
            let (mut s, qh2) = nodes_all_pledge_to_commit();
            for n in 1..=3 {
                s.receive(prepare(v(n), qh2, b1.clone(), Some(b1.clone()), 1, 1, None));
            }
            for n in 1..=3 {
                s.receive(confirm(v(n), qh2, 1, b1.clone(), 1, 1));
            }
            s
        };
        for n in 1..=4 {
            s2.receive(confirm(v(n), qh, b2.counter, b2.clone(), b2.counter, b2.counter));
        }
        assert_eq!(s2.envs.len(), 5);
        assert_eq!(s2.externalized, vec![(1, X)]);
        assert_eq!(s2.node.slot_info(1).unwrap().phase, Phase::Externalize);
    }
}

#[test]
fn range_check_externalizes_over_3_to_4() {
    let (mut scp, qh) = nodes_all_pledge_to_commit();
    let b1 = b(1, X);
    for n in 1..=3 {
        scp.receive(prepare(v(n), qh, b1.clone(), Some(b1.clone()), 1, 1, None));
    }
    assert_eq!(scp.envs.len(), 4);
    verify_confirm(&scp.envs[3], v(0), qh, 1, b1, 1, 1);
    scp.receive(confirm(v(1), qh, 4, b(4, X), 2, 4));
    assert_eq!(scp.envs.len(), 4);
    // v-blocking: b, p move to 4 and (c, h) to (2, 4).
    scp.receive(confirm(v(2), qh, 6, b(6, X), 2, 6));
    assert_eq!(scp.envs.len(), 5);
    verify_confirm(&scp.envs[4], v(0), qh, 4, b(4, X), 2, 4);
    scp.receive(confirm(v(4), qh, 6, b(6, X), 3, 6));
    assert_eq!(scp.envs.len(), 6);
    assert_eq!(scp.externalized, vec![(1, X)]);
    verify_externalize(&scp.envs[5], v(0), qh, b(3, X), 4);
}

// ---------------------------------------------------------------- timeouts

#[test]
fn timeout_when_h_is_set_stays_locked_on_h() {
    let (mut scp, qh) = core5();
    let bx = b(1, X);
    assert!(scp.bump_state(1, X));
    scp.recv_quorum(prepare_gen(qh, bx.clone(), Some(bx.clone()), 0, 0, None));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, bx.clone(), Some(bx.clone()), 1, 1, None);
    // A timeout proposing y keeps x: z = x once x was confirmed prepared.
    assert!(scp.bump_state(1, Y));
    assert_eq!(scp.envs.len(), 4);
    verify_prepare(&scp.envs[3], v(0), qh, b(2, X), Some(bx), 1, 1, None);
}

#[test]
fn timeout_when_h_exists_but_cannot_be_set_votes_for_h() {
    let (mut scp, qh) = core5();
    let (by, bx) = (b(1, Y), b(1, X));
    assert!(scp.bump_state(1, Y));
    scp.recv_v_blocking(prepare_gen(qh, bx.clone(), Some(bx.clone()), 0, 0, None));
    assert_eq!(scp.envs.len(), 2);
    verify_prepare(&scp.envs[1], v(0), qh, by, Some(bx.clone()), 0, 0, None);
    // Quorum confirms (1,x) prepared: h cannot be set as b > h.
    scp.recv_quorum_checks(prepare_gen(qh, bx.clone(), Some(bx.clone()), 0, 0, None), false, false);
    assert_eq!(scp.envs.len(), 2);
    assert!(scp.bump_state(1, Y));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, b(2, X), Some(bx), 0, 1, None);
}

#[test]
fn timeout_from_multiple_nodes() {
    let (mut scp, qh) = core5();
    let (x1, x2) = (b(1, X), b(2, X));
    assert!(scp.bump_state(1, X));
    verify_prepare(&scp.envs[0], v(0), qh, x1.clone(), None, 0, 0, None);
    scp.recv_quorum(prepare_gen(qh, x1.clone(), None, 0, 0, None));
    assert_eq!(scp.envs.len(), 2);
    verify_prepare(&scp.envs[1], v(0), qh, x1.clone(), Some(x1.clone()), 0, 0, None);
    assert!(scp.bump_state(1, X));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, x2.clone(), Some(x1.clone()), 0, 0, None);
    scp.recv_quorum(prepare_gen(qh, x1.clone(), Some(x1.clone()), 0, 0, None));
    assert_eq!(scp.envs.len(), 4);
    verify_prepare(&scp.envs[3], v(0), qh, x2.clone(), Some(x1.clone()), 0, 1, None);
    scp.recv_v_blocking(prepare_gen(qh, x2.clone(), Some(x2.clone()), 1, 1, None));
    assert_eq!(scp.envs.len(), 5);
    verify_prepare(&scp.envs[4], v(0), qh, x2.clone(), Some(x2.clone()), 0, 1, None);
    scp.recv_quorum_checks(prepare_gen(qh, x2.clone(), Some(x2.clone()), 1, 1, None), false, false);
    assert_eq!(scp.envs.len(), 7);
    verify_prepare(&scp.envs[5], v(0), qh, x2.clone(), Some(x2.clone()), 2, 2, None);
    verify_confirm(&scp.envs[6], v(0), qh, 2, x2, 1, 1);
}

#[test]
fn timeout_after_prepare_then_old_messages() {
    let (mut scp, qh) = core5();
    let (x1, x2, x3) = (b(1, X), b(2, X), b(3, X));
    assert!(scp.bump_state(1, X));
    for n in 1..=3 {
        scp.receive(prepare(v(n), qh, x1.clone(), None, 0, 0, None));
    }
    assert_eq!(scp.envs.len(), 2);
    verify_prepare(&scp.envs[1], v(0), qh, x1.clone(), Some(x1.clone()), 0, 0, None);
    assert!(scp.bump_state(1, X));
    assert!(scp.bump_state(1, X));
    assert_eq!(scp.envs.len(), 4);
    verify_prepare(&scp.envs[3], v(0), qh, x3.clone(), Some(x1), 0, 0, None);
    scp.receive(prepare(v(1), qh, x2.clone(), Some(x2.clone()), 1, 2, None));
    scp.receive(prepare(v(2), qh, x2.clone(), Some(x2.clone()), 1, 2, None));
    assert_eq!(scp.envs.len(), 5);
    verify_prepare(&scp.envs[4], v(0), qh, x3.clone(), Some(x2.clone()), 0, 0, None);
    scp.receive(prepare(v(3), qh, x2.clone(), Some(x2.clone()), 1, 2, None));
    assert_eq!(scp.envs.len(), 6);
    verify_prepare(&scp.envs[5], v(0), qh, x3, Some(x2), 0, 2, None);
}

#[test]
fn ballot_timer_fires_with_configured_growing_timeouts() {
    // Timeouts are configuration and applied: counter n waits base + (n-1) * increment.
    let qset = QuorumSet::new(4, (0..5).map(v).collect());
    let config = ScpConfig {
        ballot_timeout_base: std::time::Duration::from_millis(700),
        ballot_timeout_increment: std::time::Duration::from_millis(300),
        ..ScpConfig::default()
    };
    let mut scp = Scp::with_config(v(0), qset.clone(), config);
    let qh = qset.hash();
    assert!(scp.bump_state(1, X));
    for n in 1..=3 {
        scp.receive(prepare(v(n), qh, b(1, X), None, 0, 0, None));
    }
    assert_eq!(scp.ballot_timer, Some(Time(700)));
    scp.advance_to(Time(699));
    assert_eq!(scp.node.slot_info(1).unwrap().ballot, Some(b(1, X)), "not yet");
    scp.advance_to(Time(700));
    assert_eq!(scp.node.slot_info(1).unwrap().ballot, Some(b(2, X)));
    assert!(!scp.has_ballot_timer(), "counter 2: wait for a quorum at 2 again");
    for n in 1..=3 {
        scp.receive(prepare(v(n), qh, b(2, X), None, 0, 0, None));
    }
    assert_eq!(scp.ballot_timer, Some(Time(700 + 1000)));
}

// ---------------------------------------------------------------- watcher, restore

#[test]
fn non_validator_watches_and_externalizes_silently() {
    let qset = QuorumSet::new(4, (0..5).map(v).collect());
    let qh = qset.hash();
    let nv = mcnode_types::NodeId([99; 32]);
    let mut scp =
        Scp::with_config(nv, qset, ScpConfig { is_validator: false, ..Default::default() });
    let b1 = b(1, X);
    assert!(scp.bump_state(1, X));
    assert!(scp.envs.is_empty());
    verify_prepare(&scp.node.own_statements(1)[0], nv, qh, b1.clone(), None, 0, 0, None);
    for n in 1..=3 {
        scp.receive(externalize(v(n), qh, b1.clone(), 1));
    }
    assert!(scp.envs.is_empty());
    verify_confirm(&scp.node.own_statements(1)[0], nv, qh, u32::MAX, b(u32::MAX, X), 1, u32::MAX);
    scp.receive(externalize(v(4), qh, b1.clone(), 1));
    assert!(scp.envs.is_empty());
    verify_externalize(&scp.node.own_statements(1)[0], nv, qh, b1, u32::MAX);
    assert_eq!(scp.externalized, vec![(1, X)]);
    assert!(scp.node.nominate(Time(0), 2, X, mcnode_types::Hash32::ZERO).is_err());
}

#[test]
fn restore_ballot_protocol_each_phase() {
    let qset = QuorumSet::new(4, (0..5).map(v).collect());
    let qh = qset.hash();
    let b2 = b(2, X);
    for (st, phase) in [
        (prepare(v(0), qh, b2.clone(), Some(b2.clone()), 0, 2, None), Phase::Prepare),
        (confirm(v(0), qh, 2, b2.clone(), 1, 2), Phase::Confirm),
        (externalize(v(0), qh, b2.clone(), 2), Phase::Externalize),
    ] {
        let mut scp = Scp::new(v(0), qset.clone());
        scp.node.restore(st.clone()).unwrap();
        scp.pump();
        // A restored EXTERNALIZE reports its decision again (the crash may have come between
        // persisting it and applying it); the other phases decided nothing.
        let reported = if phase == Phase::Externalize { vec![(1, X)] } else { vec![] };
        assert_eq!(scp.externalized, reported);
        let info = scp.node.slot_info(1).unwrap();
        assert_eq!(info.phase, phase);
        assert_eq!(scp.node.own_statements(1), vec![st.clone()]);
        // Restoring twice, or restoring someone else's statement, is refused.
        assert_eq!(scp.node.restore(st.clone()), Err(RestoreError::AlreadyStarted { slot: 1 }));
        let mut other = st.clone();
        other.node_id = v(1);
        assert_eq!(scp.node.restore(other), Err(RestoreError::NotOwn));
        // A restarted node never goes back: a timeout from here moves forward only.
        if phase != Phase::Externalize {
            assert!(scp.bump_state(1, Y));
            let last = scp.envs.last().unwrap();
            assert!(last.pledge.is_newer_than(&st.pledge));
            assert_eq!(mcnode_scp::Pledge::values(&last.pledge)[0], &X, "locked on x");
        }
    }
}

// ---------------------------------------------------------------- core3

/// core3: 2-of-3 over v0..v2; one other node is both v-blocking and, with v0, a quorum.
fn core3() -> (Scp, mcnode_types::Hash32) {
    let qset = QuorumSet::new(2, (0..3).map(v).collect());
    let h = qset.hash();
    (Scp::new(v(0), qset), h)
}

#[test]
fn core3_quorum_bumps_to_a1() {
    let (a, bv) = (Z, X);
    let (mut scp, qh) = core3();
    assert!(scp.bump_state(1, a));
    assert!(!scp.has_ballot_timer());
    scp.bump_timer_offset();
    // "prepared B1 (quorum votes B1) local aValue": v1 alone is v-blocking but only voted;
    // with v2 a quorum (of others) voted B1 — a delayed quorum.
    scp.receive(prepare(v(1), qh, b(1, bv), None, 0, 0, None));
    assert_eq!(scp.envs.len(), 1);
    scp.receive(prepare(v(2), qh, b(1, bv), None, 0, 0, None));
    assert_eq!(scp.envs.len(), 2);
    verify_prepare(&scp.envs[1], v(0), qh, b(1, a), Some(b(1, bv)), 0, 0, None);
    assert!(scp.has_ballot_timer_upcoming());
    // "quorum prepared B1": h not set as b > computed h.
    scp.bump_timer_offset();
    scp.receive(prepare(v(1), qh, b(1, bv), Some(b(1, bv)), 0, 0, None));
    scp.receive(prepare(v(2), qh, b(1, bv), Some(b(1, bv)), 0, 0, None));
    assert_eq!(scp.envs.len(), 2);
    assert!(!scp.has_ballot_timer_upcoming());
    // "quorum bumps to A1".
    scp.bump_timer_offset();
    scp.receive(prepare(v(1), qh, b(1, a), Some(b(1, bv)), 0, 0, None));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, b(1, a), Some(b(1, a)), 0, 0, Some(b(1, bv)));
    assert!(!scp.has_ballot_timer_upcoming());
    scp.bump_timer_offset();
    scp.receive(prepare(v(1), qh, b(2, a), Some(b(1, a)), 1, 1, Some(b(1, bv))));
    assert_eq!(scp.envs.len(), 4);
    verify_confirm(&scp.envs[3], v(0), qh, 2, b(1, a), 1, 1);
    assert!(!scp.has_ballot_timer_upcoming());
}

#[test]
fn core3_prepared_a1_then_jump() {
    let (a, bv) = (Z, X);
    let (mut scp, qh) = core3();
    assert!(scp.bump_state(1, bv));
    scp.receive(prepare(v(1), qh, b(1, a), Some(b(1, a)), 0, 1, None));
    scp.receive(prepare(v(2), qh, b(1, a), Some(b(1, a)), 0, 1, None));
    assert_eq!(scp.envs.len(), 2);
    verify_prepare(&scp.envs[1], v(0), qh, b(1, a), Some(b(1, a)), 1, 1, None);
    scp.receive(prepare(v(1), qh, b(2, a), Some(b(2, bv)), 0, 1, Some(b(1, a))));
    scp.receive(prepare(v(2), qh, b(2, a), Some(b(2, bv)), 0, 1, Some(b(1, a))));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, b(2, bv), Some(b(2, a)), 0, 2, Some(b(2, bv)));
}

#[test]
fn core3_node_without_self() {
    let (a, bv) = (Z, X);
    let qset = QuorumSet::new(2, (0..3).map(v).collect());
    let qh = qset.hash();
    let ns = mcnode_types::NodeId([77; 32]);
    let mut scp = Scp::new(ns, qset);
    scp.receive(prepare(v(1), qh, b(2, a), Some(b(2, bv)), 0, 1, Some(b(1, a))));
    scp.receive(prepare(v(2), qh, b(1, a), Some(b(1, a)), 1, 1, None));
    assert_eq!(scp.envs.len(), 1);
    verify_prepare(&scp.envs[0], ns, qh, b(1, a), Some(b(1, a)), 1, 1, None);
    scp.receive(prepare(v(0), qh, b(2, a), Some(b(2, bv)), 0, 1, Some(b(1, a))));
    assert_eq!(scp.envs.len(), 2);
    verify_prepare(&scp.envs[1], ns, qh, b(2, bv), Some(b(2, a)), 0, 2, Some(b(2, bv)));
}

#[test]
fn externalize_counts_with_the_singleton_quorum_set() {
    // stellar-core `getQuorumSetFromStatement`: an EXTERNALIZE stands for {1, [sender]} — a
    // node that externalized needs nobody else. Here v1 and v2 trust a silent v9 as well, so
    // with their own quorum sets {v1, v2} would not be a quorum; with the singleton rule it is.
    let local = QuorumSet::new(2, vec![v(1), v(2)]);
    let theirs = QuorumSet::new(3, vec![v(1), v(2), mcnode_types::NodeId([9; 32])]);
    let mut scp = Scp::new(v(0), local);
    let th = scp.node.add_quorum_set(theirs).unwrap();
    scp.receive(externalize(v(1), th, b(1, X), 1));
    scp.receive(externalize(v(2), th, b(1, X), 1));
    assert_eq!(scp.externalized, vec![(1, X)]);
    // The same nodes merely CONFIRMing cannot make a quorum without v9.
    let local = QuorumSet::new(2, vec![v(1), v(2)]);
    let theirs = QuorumSet::new(3, vec![v(1), v(2), mcnode_types::NodeId([9; 32])]);
    let mut scp = Scp::new(v(0), local);
    let th = scp.node.add_quorum_set(theirs).unwrap();
    scp.receive(confirm(v(1), th, 1, b(1, X), 1, 1));
    scp.receive(confirm(v(2), th, 1, b(1, X), 1, 1));
    assert!(scp.externalized.is_empty());
    assert_eq!(scp.node.slot_info(1).unwrap().phase, Phase::Confirm, "accepted via v-blocking");
}
