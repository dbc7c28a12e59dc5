//! Byzantine behaviours that attack (issue 12): each test shows the liar acted (its lie
//! counters), that the lies reached honest nodes and what their engines did with them (drop
//! counters by cause, `processed` = reached SCP), and that safety and liveness held where theory
//! says they must: at the tolerance limit (f liars among 3f + 1) for every behaviour and for a
//! mix, and one past it for exactly the honest nodes `mcnode_sim::theory` says are protected.
//! Transactions are submitted to one node and travel by relay and fetch-by-hash.

#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

use mcnode_sim::theory::protected_nodes;
use mcnode_sim::{Behaviour, Fault, FaultKind, Report, SimConfig, Submit, Topology, run};

fn generated(spec: &str) -> Topology {
    Topology::generate(spec).unwrap().unwrap()
}

/// Values to one node at a time, real latency, a crash and restart of node 0 (so the recovery
/// paths are attacked too).
fn cfg(topo: Topology, liars: &[(usize, Behaviour)], seed: u64) -> SimConfig {
    // Small slots: node 0 misses more slots than peers keep EXTERNALIZE messages for, so it
    // must catch up by fetching blocks (the liars answer those requests too).
    let mut c = SimConfig::quick(topo, 60, 4, seed);
    c.latency_ms = (5, 40);
    c.submit_rate = 100.0;
    c.block_interval_ms = 500;
    c.submit = Submit::One;
    c.stop_ms = 120_000;
    c.byzantine = liars.to_vec();
    c.faults = vec![
        Fault { at_ms: 200, kind: FaultKind::Crash(0) },
        Fault { at_ms: 10_000, kind: FaultKind::Restart(0) },
    ];
    c
}

#[track_caller]
fn assert_safe_and_live(r: &Report, what: &str) {
    assert!(r.violations.is_empty(), "{what}: {:?}", r.violations);
    assert!(r.liveness, "{what}: {} of {} values", r.values_externalized, r.values_submitted);
    let mut d: Vec<&String> = r.ledger_digest.values().collect();
    d.dedup();
    assert_eq!(d.len(), 1, "{what}: ledgers differ");
}

#[track_caller]
fn lies(r: &Report, kind: &str) -> u64 {
    r.details.lies_of(kind)
}

#[test]
fn each_behaviour_acts_and_honest_engines_handle_its_lies() {
    // mesh:7:4 is 3f + 1 with f = 2 (every node needs 4 of its 6 peers): one liar and the
    // crash of node 0 are the two faults it tolerates.
    for b in Behaviour::ALL {
        let r = run(cfg(generated("mesh:7:4"), &[(6, b)], 21));
        let what = b.name();
        assert_safe_and_live(&r, what);
        let d = &r.details;
        assert!(d.nodes[0].synced_slots > 0, "{what}: node 0 caught up after its restart");
        let processed = d.outcome("processed");
        match b {
            Behaviour::Silent => assert!(d.lies.values().all(|l| l.is_empty()), "{what}"),
            Behaviour::Equivocate => {
                for phase in ["nominate", "prepare", "confirm", "externalize"] {
                    assert!(lies(&r, &format!("equivocation-{phase}")) > 0, "{phase}: {d:?}");
                }
                assert!(processed > 0, "{what}: the conflicting statements reached SCP");
                assert!(lies(&r, "forged-block") > 0, "{what}: it lies in catch-up too");
            }
            Behaviour::ConflictingValues => {
                assert!(lies(&r, "conflicting-nominate") > 0, "{:?}", d.lies);
                assert!(lies(&r, "unprepared-commit") > 0, "{:?}", d.lies);
                assert!(processed > 0, "{what}: valid real-tx values reached SCP");
                assert!(lies(&r, "forged-block") > 0, "{what}: it lies in catch-up too");
                assert!(d.outcome("block-answer-delivered") > 0, "{:?}", d.lie_outcomes);
                assert_eq!(d.outcome("block-appended"), 0);
            }
            Behaviour::Replay => {
                assert!(lies(&r, "replayed-own") > 0 && lies(&r, "replayed-other") > 0);
                assert!(d.outcome("stale_slot") > 0, "{what}: {:?}", d.lie_outcomes);
                assert!(lies(&r, "stale-block") > 0, "{what}: {:?}", d.lies);
            }
            Behaviour::Garbage => {
                for kind in
                    ["truncated", "bit-flipped", "noise", "mis-signed", "oversized", "other-chain"]
                {
                    assert!(lies(&r, &format!("garbage-{kind}")) > 0, "{kind}");
                }
                assert!(d.outcome("malformed") > 0, "{:?}", d.lie_outcomes);
                assert!(d.outcome("bad_signature") > 0, "{:?}", d.lie_outcomes);
                assert!(d.outcome("other_chain") > 0, "{:?}", d.lie_outcomes);
                assert_eq!(processed, 0, "no garbage gets past the checks");
                // It never sends a valid statement, so no node sees it ahead and asks it for
                // blocks: its tampered-block answers are a path it cannot reach.
            }
            Behaviour::LyingSync => {
                assert!(lies(&r, "forged-externalize") > 0, "{:?}", d.lies);
                assert!(lies(&r, "forged-block") > 0 && lies(&r, "tampered-block") > 0);
                // Its answers reach the catching-up node; a tampered block fails the id check
                // unless honest answers came first (then it is ignored for its index); a forged
                // one lacks a quorum slice of signatures. None is appended.
                assert!(d.outcome("block-answer-delivered") > 0, "{:?}", d.lie_outcomes);
                assert_eq!(d.outcome("block-appended"), 0, "no forged block is appended");
            }
        }
    }
}

#[test]
fn exactly_f_liars_among_3f_plus_1_keep_safety_and_liveness() {
    // mesh:7:4: every node needs 4 of its 6 peers (5 of 7), so f = 2.
    let topo = generated("mesh:7:4");
    assert_eq!(protected_nodes(&topo, &[5, 6]), Some(vec![0, 1, 2, 3, 4]));
    let mut runs: Vec<Vec<(usize, Behaviour)>> =
        Behaviour::ALL.iter().map(|b| vec![(5, *b), (6, *b)]).collect();
    runs.push(vec![(5, Behaviour::Equivocate), (6, Behaviour::ConflictingValues)]);
    runs.push(vec![(5, Behaviour::Garbage), (6, Behaviour::LyingSync)]);
    runs.push(vec![(5, Behaviour::Replay), (6, Behaviour::Silent)]);
    for liars in runs {
        let mut c = cfg(topo.clone(), &liars, 22);
        c.faults.clear(); // f liars and nothing else: exactly at the limit
        let r = run(c);
        let what = format!("{liars:?}");
        assert_safe_and_live(&r, &what);
        if liars.iter().any(|(_, b)| *b != Behaviour::Silent) {
            assert!(r.details.lies.values().any(|l| !l.is_empty()), "{what}: the liars acted");
        }
    }
}

#[test]
fn one_past_the_limit_safety_holds_for_exactly_the_nodes_theory_protects() {
    // A core of four (each needs 2 of the 3 other core nodes) that trusts nobody else, and three
    // outer nodes that each need 2 of {the other outer nodes, c0}. Two outer liars are past the
    // limit of the honest outer node (2 of its 3 peers lie); the core is untouched.
    let text = r#"[
      {"publicKey": "c0", "quorumSet": {"threshold": 2, "validators": ["c1", "c2", "c3"]}},
      {"publicKey": "c1", "quorumSet": {"threshold": 2, "validators": ["c0", "c2", "c3"]}},
      {"publicKey": "c2", "quorumSet": {"threshold": 2, "validators": ["c0", "c1", "c3"]}},
      {"publicKey": "c3", "quorumSet": {"threshold": 2, "validators": ["c0", "c1", "c2"]}},
      {"publicKey": "o0", "quorumSet": {"threshold": 2, "validators": ["o1", "o2", "c0"]}},
      {"publicKey": "o1", "quorumSet": {"threshold": 2, "validators": ["o0", "o2", "c0"]}},
      {"publicKey": "o2", "quorumSet": {"threshold": 2, "validators": ["o0", "o1", "c0"]}}
    ]"#;
    let topo = Topology::from_stellarbeat_str(text, "core-and-outer").unwrap();
    let protected = protected_nodes(&topo, &[4, 5]).unwrap();
    assert_eq!(protected, vec![0, 1, 2, 3], "theory: the core only");
    for b in [Behaviour::Equivocate, Behaviour::ConflictingValues, Behaviour::LyingSync] {
        let mut c = cfg(topo.clone(), &[(4, b), (5, b)], 23);
        c.judged = Some(protected.clone());
        c.expect_liveness = false;
        let r = run(c);
        assert!(r.violations.is_empty(), "{}: {:?}", b.name(), r.violations);
        assert!(r.liveness, "{}: the core alone is a quorum and decides", b.name());
        assert!(r.details.lies.values().any(|l| !l.is_empty()), "{}: the liars acted", b.name());
    }
    // Past the limit of a symmetric mesh, theory protects no two nodes from each other.
    assert_eq!(protected_nodes(&generated("mesh:4:2"), &[2, 3]), Some(vec![0]));
}

#[test]
fn liveness_is_false_when_no_judged_node_runs() {
    let mut c = SimConfig::quick(generated("mesh:3:2"), 10, 10, 1);
    c.faults = (0..3).map(|i| Fault { at_ms: 0, kind: FaultKind::Crash(i) }).collect();
    c.stop_ms = 2000;
    let r = run(c);
    assert!(!r.liveness, "nobody running is not progress");
}
