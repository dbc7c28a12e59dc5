//! Nomination (draft §2.2, paper §6.1), ported from stellar-core `SCPTests.cpp` "nomination
//! tests core5". stellar-core forces leaders with a priority lookup; here leaders come from
//! the real priority hashes, so each test searches for a `previous` value whose round-1 (and
//! round-2) leaders are the ones the scenario needs, and computes expected value choices with
//! the same public hash function.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use mcnode_scp::{VALUE_DOMAIN, priority_hash};
use mcnode_types::{Hash32, NodeId};

const K: u64 = 50;

/// Leaders of a fresh core5 v0 after `nominate(X)`, and after one nomination timeout.
fn leaders_for(prev: Hash32) -> (Vec<NodeId>, Vec<NodeId>, u32) {
    let (mut scp, _) = core5();
    scp.nominate(1, X, prev);
    let l1 = scp.node.slot_info(1).unwrap().leaders;
    scp.fire_nomination_timer();
    let info = scp.node.slot_info(1).unwrap();
    (l1, info.leaders, info.nomination_round)
}

/// The first `previous` seed whose leaders satisfy `pred(round1, round2)`.
fn find_prev(pred: impl Fn(&[NodeId], &[NodeId], Hash32) -> bool) -> Hash32 {
    for i in 0u32..20_000 {
        let prev = Hash32::digest(b"mcnode-scp-test-seed", &i.to_be_bytes());
        let (l1, l2, _) = leaders_for(prev);
        if pred(&l1, &l2, prev) {
            return prev;
        }
    }
    panic!("no seed found");
}

fn set(ids: &[u8]) -> Vec<NodeId> {
    let mut v: Vec<NodeId> = ids.iter().map(|i| v(*i)).collect();
    v.sort();
    v
}

fn vh(prev: Hash32, round: u32, value: u64) -> u64 {
    priority_hash(VALUE_DOMAIN, 1, &prev, round, &value)
}

#[test]
fn leaders_accumulate_and_weights_follow_the_quorum_set() {
    // Over many seeds every node of a symmetric 4-of-5 set leads sometimes, the round-2
    // leader set always contains round 1's (PR #1975), and the local node is always a
    // candidate (its weight is the maximum).
    let mut seen = std::collections::BTreeSet::new();
    for i in 0u32..60 {
        let prev = Hash32::digest(b"acc", &i.to_be_bytes());
        let (l1, l2, round) = leaders_for(prev);
        assert_eq!(l1.len(), 1);
        assert!(l1.iter().all(|n| l2.contains(n)), "leaders accumulate");
        assert!(l2.len() == 2 && round >= 2, "a timeout adds exactly one new leader");
        seen.extend(l1);
    }
    assert_eq!(seen.len(), 5, "every node leads for some seed");
}

#[test]
fn v0_top_others_nominate_x_then_prepare_x() {
    let prev = find_prev(|l1, _, _| l1 == set(&[0]));
    let (mut scp, qh) = core5();
    scp.nominate(1, X, prev);
    assert_eq!(scp.node.slot_info(1).unwrap().leaders, set(&[0]));
    assert_eq!(scp.envs.len(), 1);
    verify_nominate(&scp.envs[0], v(0), qh, &[X], &[]);
    assert!(scp.nomination_timer.is_some(), "round timer armed");
    scp.receive(nominate(v(1), qh, &[X], &[]));
    scp.receive(nominate(v(2), qh, &[X], &[]));
    assert_eq!(scp.envs.len(), 1);
    // Quorum (v0..v3) voted x → accept.
    scp.receive(nominate(v(3), qh, &[X], &[]));
    assert_eq!(scp.envs.len(), 2);
    verify_nominate(&scp.envs[1], v(0), qh, &[X], &[X]);
    scp.receive(nominate(v(4), qh, &[X], &[]));
    assert_eq!(scp.envs.len(), 2);
    scp.receive(nominate(v(1), qh, &[X], &[X]));
    scp.receive(nominate(v(2), qh, &[X], &[X]));
    assert_eq!(scp.envs.len(), 2);
    // Quorum accepted x → candidate → ballot <1,x>; the round timer stops.
    scp.receive(nominate(v(3), qh, &[X], &[X]));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, b(1, X), None, 0, 0, None);
    assert!(scp.nomination_timer.is_none(), "first candidate stops the round timer");
    scp.receive(nominate(v(4), qh, &[X], &[X]));
    assert_eq!(scp.envs.len(), 3);

    // "others accepted y -> update latest to (z=x+y)": y becomes a candidate too; the composite
    // is recomputed for the next ballot but the current ballot is not replaced.
    let xy = [X, Y];
    scp.receive(nominate(v(1), qh, &xy, &xy));
    assert_eq!(scp.envs.len(), 3);
    scp.receive(nominate(v(2), qh, &xy, &xy));
    assert_eq!(scp.envs.len(), 4);
    verify_nominate(&scp.envs[3], v(0), qh, &xy, &xy);
    scp.receive(nominate(v(3), qh, &xy, &xy));
    assert_eq!(scp.envs.len(), 4);
    assert_eq!(scp.node.slot_info(1).unwrap().candidates, vec![X, Y]);
    assert_eq!(scp.node.slot_info(1).unwrap().ballot, Some(b(1, X)));
    // Now a ballot timeout uses the new composite (combine = max = y).
    for n in 1..=3 {
        scp.receive(prepare(v(n), qh, b(1, X), None, 0, 0, None));
    }
    scp.fire_ballot_timer();
    assert_eq!(scp.node.slot_info(1).unwrap().ballot, Some(b(2, Y)));
}

#[test]
fn restored_nomination_state_continues() {
    let prev = find_prev(|l1, _, _| l1 == set(&[0]));
    let qset = mcnode_scp::QuorumSet::new(4, (0..5).map(v).collect());
    let qh = qset.hash();
    for ballot_started in [false, true] {
        let mut scp = Scp::new(v(0), qset.clone());
        scp.node.restore(nominate(v(0), qh, &[X], &[X])).unwrap();
        if ballot_started {
            scp.node.restore(prepare(v(0), qh, b(1, K), None, 0, 0, None)).unwrap();
        }
        // Tries y, but x is already voted: a leader adds its own value only with no votes.
        scp.nominate(1, Y, prev);
        assert_eq!(scp.node.slot_info(1).unwrap().leaders, set(&[0]));
        assert!(scp.envs.is_empty());
        scp.receive(nominate(v(1), qh, &[X], &[]));
        scp.receive(nominate(v(2), qh, &[X], &[]));
        scp.receive(nominate(v(3), qh, &[X], &[]));
        assert!(scp.envs.is_empty(), "x already accepted before the restart");
        scp.receive(nominate(v(1), qh, &[X], &[X]));
        scp.receive(nominate(v(2), qh, &[X], &[X]));
        assert!(scp.envs.is_empty());
        scp.receive(nominate(v(3), qh, &[X], &[X]));
        if ballot_started {
            assert!(scp.envs.is_empty(), "already balloting on k");
        } else {
            assert_eq!(scp.envs.len(), 1);
            verify_prepare(&scp.envs[0], v(0), qh, b(1, X), None, 0, 0, None);
        }
    }
}

#[test]
fn v0_switches_to_leader_v1_after_timeout() {
    let prev = find_prev(|l1, l2, _| l1 == set(&[0]) && l2 == set(&[0, 1]));
    let (mut scp, qh) = core5();
    scp.nominate(1, X, prev);
    scp.receive(nominate(v(1), qh, &[K], &[]));
    scp.receive(nominate(v(2), qh, &[Y], &[]));
    assert_eq!(scp.envs.len(), 1, "messages from non-leaders change nothing");
    scp.fire_nomination_timer();
    assert_eq!(scp.envs.len(), 2);
    verify_nominate(&scp.envs[1], v(0), qh, &[X, K], &[]);
}

#[test]
fn select_accepted_value_from_leader() {
    let prev = find_prev(|l1, l2, _| l1 == set(&[0]) && l2 == set(&[0, 1]));
    for before_timeout in [true, false] {
        let (mut scp, qh) = core5();
        scp.nominate(1, X, prev);
        let nom1 = nominate(v(1), qh, &[Y, Z], &[Y]);
        if before_timeout {
            scp.receive(nom1);
            assert_eq!(scp.envs.len(), 1);
            scp.fire_nomination_timer();
        } else {
            scp.fire_nomination_timer();
            assert_eq!(scp.envs.len(), 1);
            scp.receive(nom1);
        }
        assert_eq!(scp.envs.len(), 2);
        // The leader's accepted value wins over its other votes.
        verify_nominate(&scp.envs[1], v(0), qh, &[X, Y], &[]);
        scp.receive(nominate(v(1), qh, &[Y, Z, ZZ], &[Y]));
        assert_eq!(scp.envs.len(), 2, "already voted the leader's accepted value");
    }
}

#[test]
fn self_nominates_x_others_nominate_y_prepare_y() {
    let prev = find_prev(|l1, _, _| l1 == set(&[0]));
    // "others only vote for y": y accepted by a quorum of the four others.
    let (mut scp, qh) = core5();
    scp.nominate(1, X, prev);
    verify_nominate(&scp.envs[0], v(0), qh, &[X], &[]);
    for n in 1..=3 {
        scp.receive(nominate(v(n), qh, &[Y], &[]));
    }
    assert_eq!(scp.envs.len(), 1);
    scp.receive(nominate(v(4), qh, &[Y], &[]));
    assert_eq!(scp.envs.len(), 2);
    verify_nominate(&scp.envs[1], v(0), qh, &[X, Y], &[Y]);

    // "others accepted y": v-blocking accept, then quorum confirms y → prepare y.
    let (mut scp, qh) = core5();
    scp.nominate(1, X, prev);
    scp.receive(nominate(v(1), qh, &[Y], &[Y]));
    assert_eq!(scp.envs.len(), 1);
    scp.receive(nominate(v(2), qh, &[Y], &[Y]));
    assert_eq!(scp.envs.len(), 2);
    verify_nominate(&scp.envs[1], v(0), qh, &[X, Y], &[Y]);
    scp.receive(nominate(v(3), qh, &[Y], &[Y]));
    assert_eq!(scp.envs.len(), 3);
    verify_prepare(&scp.envs[2], v(0), qh, b(1, Y), None, 0, 0, None);
    scp.receive(nominate(v(4), qh, &[Y], &[Y]));
    assert_eq!(scp.envs.len(), 3);
}

#[test]
fn v1_top_candidate_stops_new_values() {
    let prev = find_prev(|l1, _, _| l1 == set(&[1]));
    let (mut scp, qh) = core5();
    scp.nominate(1, X, prev);
    assert_eq!(scp.node.slot_info(1).unwrap().leaders, set(&[1]));
    assert!(scp.envs.is_empty(), "not a leader: no own vote");
    scp.receive(nominate(v(1), qh, &[X], &[]));
    assert_eq!(scp.envs.len(), 1);
    verify_nominate(&scp.envs[0], v(0), qh, &[X], &[]);
    scp.receive(nominate(v(2), qh, &[X], &[]));
    scp.receive(nominate(v(3), qh, &[X], &[]));
    assert_eq!(scp.envs.len(), 2);
    verify_nominate(&scp.envs[1], v(0), qh, &[X], &[X]);
    scp.receive(nominate(v(1), qh, &[X], &[X]));
    scp.receive(nominate(v(2), qh, &[X], &[X]));
    assert_eq!(scp.envs.len(), 2);
    assert!(scp.nomination_timer.is_some());
    scp.receive(nominate(v(3), qh, &[X], &[X]));
    assert_eq!(scp.envs.len(), 3);
    assert!(scp.nomination_timer.is_none(), "candidate cancels the round timer");
    // Nominating again (even a new value) does nothing once a candidate exists.
    scp.nominate(1, K, prev);
    assert_eq!(scp.envs.len(), 3);
    assert!(scp.nomination_timer.is_none());
}

#[test]
fn nomination_waits_for_v1_then_takes_its_other_value() {
    let prev =
        find_prev(|l1, l2, p| l1 == set(&[1]) && l2 == set(&[1, 3]) && vh(p, 1, Y) > vh(p, 1, X));
    let (mut scp, qh) = core5();
    scp.nominate(1, X, prev);
    assert!(scp.envs.is_empty());
    scp.receive(nominate(v(2), qh, &[X, K], &[]));
    assert!(scp.envs.is_empty(), "v2 is not a leader");
    // v1 is the leader: adopt its value with the highest value hash (y here).
    scp.receive(nominate(v(1), qh, &[X, Y], &[]));
    assert_eq!(scp.envs.len(), 1);
    verify_nominate(&scp.envs[0], v(0), qh, &[Y], &[]);
    scp.receive(nominate(v(4), qh, &[X, K], &[]));
    assert_eq!(scp.envs.len(), 1);
    // Timeout: v3 (silent) joins the leaders; we take v1's other value x, which a quorum
    // (v0, v1, v2, v4) now votes for → accepted at once.
    scp.fire_nomination_timer();
    assert_eq!(scp.node.slot_info(1).unwrap().leaders, set(&[1, 3]));
    assert_eq!(scp.envs.len(), 2);
    verify_nominate(&scp.envs[1], v(0), qh, &[X, Y], &[X]);
}

#[test]
fn v1_dead_timeout_picks_new_leader() {
    for (new_leader, expect) in [(0u8, Some(vec![X])), (2, None), (3, Some(vec![]))] {
        let prev = find_prev(|l1, l2, _| l1 == set(&[1]) && l2 == set(&[1, new_leader]));
        let (mut scp, qh) = core5();
        scp.nominate(1, X, prev);
        scp.receive(nominate(v(2), qh, &[X, K], &[]));
        assert!(scp.envs.is_empty());
        scp.fire_nomination_timer();
        let info = scp.node.slot_info(1).unwrap();
        assert_eq!(info.leaders, set(&[1, new_leader]));
        match expect {
            // v0 leads: votes its own value.
            Some(votes) if !votes.is_empty() => {
                assert_eq!(scp.envs.len(), 1);
                verify_nominate(&scp.envs[0], v(0), qh, &votes, &[]);
            }
            // v3 leads but is silent too: nothing to vote for yet.
            Some(_) => assert!(scp.envs.is_empty()),
            // v2 leads: take the value of its vote with the highest hash in this round.
            None => {
                let r = info.nomination_round;
                let top = if vh(prev, r, X) >= vh(prev, r, K) { X } else { K };
                assert_eq!(scp.envs.len(), 1);
                verify_nominate(&scp.envs[0], v(0), qh, &[top], &[]);
            }
        }
    }
}

#[test]
fn nomination_timeouts_grow_with_the_round() {
    let prev = find_prev(|l1, _, _| l1 == set(&[1]));
    let qset = mcnode_scp::QuorumSet::new(4, (0..5).map(v).collect());
    let config = mcnode_scp::ScpConfig {
        nomination_timeout_base: std::time::Duration::from_millis(500),
        nomination_timeout_increment: std::time::Duration::from_millis(250),
        ..Default::default()
    };
    let mut scp = Scp::with_config(v(0), qset, config);
    scp.nominate(1, X, prev);
    assert_eq!(scp.nomination_timer, Some(mcnode_scp::Time(500)));
    scp.fire_nomination_timer();
    let round = scp.node.slot_info(1).unwrap().nomination_round;
    let expected = 500 + 500 + 250 * u64::from(round - 1);
    assert_eq!(scp.nomination_timer, Some(mcnode_scp::Time(expected)));
}

#[test]
fn invalid_values_are_not_voted() {
    // A leader's invalid value is not adopted; nominate() refuses an invalid own value.
    let prev = find_prev(|l1, _, _| l1 == set(&[1]));
    let (mut scp, qh) = core5();
    scp.node.driver_mut().invalid.insert(Y);
    assert!(scp.node.nominate(scp.now, 1, Y, prev).is_err());
    scp.nominate(1, X, prev);
    scp.receive(nominate(v(1), qh, &[Y], &[]));
    assert!(scp.envs.is_empty());
    scp.node.driver_mut().invalid.clear();
    scp.node.driver_mut().maybe.insert(Z);
    scp.receive(nominate(v(1), qh, &[Y, Z], &[]));
    assert_eq!(scp.envs.len(), 1);
    verify_nominate(&scp.envs[0], v(0), qh, &[Y], &[]);
}

#[test]
fn nominating_again_does_not_skip_rounds() {
    let prev = find_prev(|l1, _, _| l1 == set(&[1]));
    let (mut scp, qh) = core5();
    scp.nominate(1, X, prev);
    let timer = scp.nomination_timer;
    scp.nominate(1, Y, prev);
    assert_eq!(scp.node.slot_info(1).unwrap().nomination_round, 1);
    assert_eq!(scp.nomination_timer, timer);
    assert!(scp.envs.is_empty());
    // The new value is what this node proposes when it becomes a leader.
    let prev0 = find_prev(|l1, _, _| l1 == set(&[0]));
    let (mut scp, _) = core5();
    scp.nominate(1, X, prev0);
    scp.nominate(1, Y, prev0);
    assert_eq!(scp.envs.len(), 1, "a leader that already voted keeps its vote");
    verify_nominate(&scp.envs[0], v(0), qh, &[X], &[]);
}
