//! Every file of the shared FBAS test data against its documented result (tests/data/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test/bench helpers: a failure is the report

use mcnode_fbas::quorums::{self, Budget};
use mcnode_fbas::splitting;
use mcnode_fbas::{
    Fbas, Grouping, check_intersection, input, intersection, minimal_blocking_sets,
    minimal_splitting_sets,
};

fn text(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn load(name: &str) -> Fbas {
    input::parse_stellarbeat(&text(name)).unwrap()
}

/// Checks the verdict, and that a reported split really is two disjoint quorums.
fn intersects(f: &Fbas) -> bool {
    let r = check_intersection(f).unwrap();
    if let Some((a, b)) = &r.split {
        assert!(f.is_quorum(a) && f.is_quorum(b) && a.is_disjoint(b));
        assert!(quorums::is_minimal_quorum(f, a) && quorums::is_minimal_quorum(f, b));
    }
    // The enumerating check is exponential on the symmetric networks: compare where it finishes.
    let e = intersection::check_intersection_enumerating(f, &mut Budget(200_000));
    if let Some(e) = e {
        assert_eq!(e.intersects, r.intersects, "enumeration and SAT disagree");
    }
    r.intersects
}

#[test]
fn intersection_verdicts_match_the_documented_results() {
    for (file, expected) in [
        ("mobilecoin_nodes_2021-10-22.json", true),
        ("stellarbeat_nodes_2019-09-17.json", true),
        ("stellarbeat_nodes_2020-01-16_broken_by_hand.json", false),
        ("correct.json", true),
        ("broken.json", false),
        ("pubnet_obsrvr_2025-07-20.json", true),
        ("sqa_top_tier.json", true),
        ("sqa_conflicted.json", false),
        ("sqa_conflicted_2.json", false),
        ("sqa_circular_1.json", true),
        ("sqa_almost_symmetric_network_10_orgs_.json", true),
        ("sqa_almost_symmetric_network_13_orgs_delete_prob_factor_12.json", false),
        ("sqa_almost_symmetric_network_16_orgs_delete_prob_factor_15.json", false),
    ] {
        assert_eq!(intersects(&load(file)), expected, "{file}");
    }
}

#[test]
fn mobilecoin_is_one_symmetric_cluster() {
    let f = load("mobilecoin_nodes_2021-10-22.json");
    let mq = quorums::minimal_quorums(&f, &mut Budget::new_default());
    // 7 of 9 others: a minimal quorum is any 8 of the 10 nodes.
    assert_eq!((mq.count, mq.size_range), (45, Some((8, 8))));
    assert_eq!(mq.top_tier.len(), 10);
    let g = Grouping::per_node(&f);
    let b = minimal_blocking_sets(&f, &g, Budget::DEFAULT);
    assert_eq!((b.sets.len(), b.size_range()), (120, Some((3, 3))), "any 3 of 10 block");
    let s = minimal_splitting_sets(&f, &g, Budget::DEFAULT).unwrap();
    // Two quorums of 8 share at least 6 nodes; lying nodes must cover the overlap.
    assert_eq!(s.size_range(), Some((6, 6)));
}

#[test]
fn correct_and_broken_hand_made_networks() {
    let f = load("correct.json");
    let mq = quorums::minimal_quorums(&f, &mut Budget::new_default());
    assert_eq!(mq.top_tier.len(), 3);
    let f = load("broken.json");
    let g = Grouping::per_node(&f);
    let b = minimal_blocking_sets(&f, &g, Budget::DEFAULT);
    // Documented by file position: [[3,4],[4,10],[3,6,10]].
    let ids = |idx: &[usize]| -> Vec<String> {
        let mut v: Vec<String> = idx.iter().map(|&i| f.nodes()[i].id.clone()).collect();
        v.sort();
        v
    };
    let mut got: Vec<Vec<String>> = b.sets.iter().map(|s| ids(s)).collect();
    got.sort();
    let mut want = vec![ids(&[3, 4]), ids(&[4, 10]), ids(&[3, 6, 10])];
    want.sort();
    assert_eq!(got, want);
    let s = minimal_splitting_sets(&f, &g, Budget::DEFAULT).unwrap();
    assert_eq!(s.sets, vec![Vec::<usize>::new()], "without intersection the empty set splits");
}

#[test]
fn stellar_2019_by_organisation() {
    let f = load("stellarbeat_nodes_2019-09-17.json");
    let orgs =
        input::parse_organizations(&text("stellarbeat_organizations_2019-09-17.json"), &f).unwrap();
    let mq = quorums::minimal_quorums(&f, &mut Budget::new_default());
    assert!(mq.complete);
    assert_eq!(orgs.groups_touching(&mq.top_tier).len(), 5, "top tier: 5 organisations");
    let b = minimal_blocking_sets(&f, &orgs, Budget::DEFAULT);
    assert_eq!(b.size_range(), Some((2, 2)), "blocking sets: 2 organisations");
    // Documented with fbas_analyzer's --only-core-nodes: restrict to the top tier.
    let s =
        splitting::minimal_splitting_sets_within(&f, &orgs, &mq.top_tier, Budget::DEFAULT).unwrap();
    assert_eq!(s.size_range(), Some((3, 3)), "splitting sets: 3 organisations");
    // On the whole network, nodes outside the top tier that trust a single organisation can be
    // forked from the rest by that organisation alone.
    let all = minimal_splitting_sets(&f, &orgs, Budget::DEFAULT).unwrap();
    for s in all.smallest() {
        eprintln!("{:?}", orgs.labels_of(&s));
    }
    assert_eq!(all.size_range().map(|r| r.0), Some(1));
}

#[test]
fn stellar_2019_by_node() {
    let f = load("stellarbeat_nodes_2019-09-17.json");
    let mq = quorums::minimal_quorums(&f, &mut Budget::new_default());
    assert_eq!(mq.top_tier.len(), 17);
    assert_eq!(mq.size_range, Some((8, 9)));
    let g = Grouping::per_node(&f);
    let b = minimal_blocking_sets(&f, &g, Budget::DEFAULT);
    assert_eq!(b.size_range(), Some((4, 5)));
    // fbas_analyzer with --only-core-nodes: splitting sets of 3 nodes.
    let s =
        splitting::minimal_splitting_sets_within(&f, &g, &mq.top_tier, Budget::DEFAULT).unwrap();
    assert_eq!(s.size_range().map(|r| r.0), Some(3));
}

#[test]
fn stellar_2020_broken_by_hand() {
    // fbas_analyzer's figures for this file: top tier 22, blocking sets of 5 to 6 nodes, and
    // the empty set splits.
    let f = load("stellarbeat_nodes_2020-01-16_broken_by_hand.json");
    let mq = quorums::minimal_quorums(&f, &mut Budget::new_default());
    assert_eq!(mq.top_tier.len(), 22);
    let g = Grouping::per_node(&f);
    assert_eq!(minimal_blocking_sets(&f, &g, Budget::DEFAULT).size_range(), Some((5, 6)));
    let s = minimal_splitting_sets(&f, &g, Budget::DEFAULT).unwrap();
    assert_eq!(s.sets, vec![Vec::<usize>::new()]);
}

#[test]
fn pubnet_2025() {
    let f = load("pubnet_obsrvr_2025-07-20.json");
    let mq = quorums::minimal_quorums(&f, &mut Budget::new_default());
    assert!(mq.complete);
    assert_eq!(mq.top_tier.len(), 21);
    assert_eq!(mq.size_range, Some((10, 10)));
    let g = Grouping::per_node(&f);
    let b = minimal_blocking_sets(&f, &g, Budget::DEFAULT);
    assert_eq!(b.size_range(), Some((6, 6)));
    // 3 of 7 organisations (any 2 of 3 nodes each): C(7,3) * 3^3.
    assert_eq!(b.sets.len(), 35 * 27);
}
