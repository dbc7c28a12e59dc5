//! Whole networks of nodes on the deterministic test network (`tests/net`): agreement
//! (paper Thm 11), validity, externalize-once, and liveness where the topology allows it
//! (non-blocking, paper §6), across seeds, latencies, loss, crashes with restore, silent
//! nodes, a watcher, and nested organisation quorum sets.

#![allow(clippy::unwrap_used)]

mod net;

use mcnode_scp::{QuorumSet, ScpConfig};
use net::*;

fn all(n: usize) -> Vec<usize> {
    (0..n).collect()
}

#[test]
fn three_nodes_two_of_three_agree_over_many_seeds() {
    for seed in 0..20 {
        let mut net = Net::mesh(3, 2, seed);
        net.target_slot = 3;
        net.start();
        net.run(120_000, |n| n.all_done(&all(3)));
        assert!(net.all_done(&all(3)), "seed {seed}: not live");
        assert_eq!(net.check_agreement(), 9);
        net.check_validity();
    }
}

#[test]
fn five_nodes_four_of_five_with_loss_and_rebroadcast() {
    for seed in 0..8 {
        let mut net = Net::mesh(5, 4, seed);
        net.target_slot = 3;
        net.drop_per_mille = 100;
        net.rebroadcast_ms = Some(1500);
        net.latency = (5, 200);
        net.start();
        net.run(600_000, |n| n.all_done(&all(5)));
        assert!(net.all_done(&all(5)), "seed {seed}: not live");
        net.check_agreement();
        net.check_validity();
    }
}

#[test]
fn one_silent_node_of_five_is_tolerated() {
    for seed in 0..6 {
        let mut net = Net::mesh(5, 4, seed);
        net.silent[seed as usize % 5] = true;
        net.target_slot = 2;
        net.start();
        let live: Vec<usize> = (0..5).filter(|i| !net.silent[*i]).collect();
        net.run(300_000, |n| n.all_done(&live));
        assert!(net.all_done(&live), "seed {seed}: a dead leader must be replaced after timeouts");
        net.check_agreement();
    }
}

#[test]
fn two_silent_nodes_of_five_block_but_never_disagree() {
    let mut net = Net::mesh(5, 4, 3);
    net.silent[0] = true;
    net.silent[1] = true;
    net.start();
    net.run(60_000, |_| false);
    assert!(net.externalized.iter().all(|e| e.is_empty()), "no quorum: nothing decided");
    // Blocked, not dead: once the two speak again (restarted, they hear every peer's latest
    // statements and nominate), the five decide every slot and agree.
    for i in [0, 1] {
        net.silent[i] = false;
        net.crash(i);
        net.restart(i);
    }
    net.run(600_000, |n| n.all_done(&all(5)));
    assert!(net.all_done(&all(5)), "the core is alive after the silent nodes recover");
    net.check_agreement();
    net.check_validity();
}

#[test]
fn crash_and_restore_never_contradicts_itself() {
    for seed in 0..6 {
        let mut net = Net::mesh(4, 3, seed);
        net.target_slot = 3;
        net.rebroadcast_ms = Some(2000);
        net.start();
        // Crash node 0 part-way through the first slot, restart it later.
        net.run(40 + seed * 15, |_| false);
        net.crash(0);
        net.run(20_000, |_| false);
        net.restart(0);
        net.run(600_000, |n| n.all_done(&all(4)));
        assert!(net.all_done(&all(4)), "seed {seed}");
        net.check_agreement();
        net.check_validity();
    }
}

#[test]
fn watcher_externalizes_the_same_values_silently() {
    // Four validators 3-of-4 plus a non-validator watching with the same quorum set.
    let ids: Vec<_> = (0..4).map(node_id).collect();
    let q = QuorumSet::new(3, ids);
    let mut net = Net::new(vec![q; 5], 11);
    net.configs[4] = ScpConfig { is_validator: false, ..Default::default() };
    net.target_slot = 2;
    net.start();
    net.run(300_000, |n| n.all_done(&all(5)));
    assert!(net.all_done(&all(5)));
    net.check_agreement();
}

#[test]
fn nested_organisations_agree() {
    // Three organisations of three servers; every node needs 2 of 3 organisations, each
    // organisation 2 of its 3 servers.
    let orgs: Vec<QuorumSet> =
        (0..3).map(|o| QuorumSet::new(2, (0..3).map(|k| node_id(o * 3 + k)).collect())).collect();
    let q = QuorumSet { threshold: 2, validators: vec![], inner_sets: orgs };
    assert!(q.validate().is_ok());
    for seed in 0..4 {
        let mut net = Net::new(vec![q.clone(); 9], seed);
        net.target_slot = 2;
        net.start();
        net.run(300_000, |n| n.all_done(&all(9)));
        assert!(net.all_done(&all(9)), "seed {seed}");
        net.check_agreement();
        net.check_validity();
    }
}

#[test]
fn combined_value_is_capped_union_of_candidates() {
    // With everyone proposing 3 hashes and a cap of 4, the decided set has at most 4 hashes
    // and they are the smallest of the candidates' union.
    let mut net = Net::mesh(4, 3, 5);
    net.max_values = 4;
    net.start();
    net.run(120_000, |n| n.all_done(&all(4)));
    assert!(net.all_done(&all(4)));
    net.check_agreement();
    let v = &net.externalized[0][&1];
    assert!(v.len() <= 4 && !v.is_empty());
}

#[test]
fn same_seed_same_run() {
    let run = |seed| {
        let mut net = Net::mesh(5, 4, seed);
        net.drop_per_mille = 50;
        net.rebroadcast_ms = Some(1000);
        net.target_slot = 2;
        net.start();
        net.run(300_000, |n| n.all_done(&all(5)));
        (net.now, net.messages, format!("{:?}", net.externalized))
    };
    assert_eq!(run(42), run(42));
}

#[test]
fn randomized_sweep_seven_nodes_five_of_seven() {
    // Random latencies up to 300 ms and 20% loss (with re-broadcast): agreement always,
    // liveness within the time bound, across seeds.
    for seed in 100..120 {
        let mut net = Net::mesh(7, 5, seed);
        net.latency = (0, 300);
        net.drop_per_mille = 200;
        net.rebroadcast_ms = Some(1000);
        net.target_slot = 2;
        net.start();
        net.run(900_000, |n| n.all_done(&all(7)));
        assert!(net.all_done(&all(7)), "seed {seed}");
        net.check_agreement();
        net.check_validity();
    }
}

mod random_schedules {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Safety never depends on timing: any mesh with intersecting quorums (threshold above
        /// half), any latency spread and loss rate, crash of any minority node — no two
        /// nodes ever externalize different values, and nothing unproposed is decided.
        #[test]
        fn agreement_under_random_schedules(
            n in 3usize..8,
            extra in 0u32..3,
            seed in any::<u64>(),
            max_latency in 1u64..400,
            drop in 0u64..300,
            crash in proptest::option::of(0usize..8),
        ) {
            let t = (n as u32 / 2 + 1 + extra).min(n as u32);
            let mut net = Net::mesh(n, t, seed);
            net.latency = (0, max_latency);
            net.drop_per_mille = drop;
            net.rebroadcast_ms = Some(1000);
            net.target_slot = 2;
            net.start();
            if let Some(c) = crash.filter(|c| *c < n) {
                net.run(max_latency, |_| false);
                net.crash(c);
            }
            net.run(120_000, |nt| nt.all_done(&all(n)));
            net.check_agreement();
            net.check_validity();
        }
    }
}
