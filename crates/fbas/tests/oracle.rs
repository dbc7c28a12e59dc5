//! Property tests: every analysis against a brute-force oracle that looks at all subsets of
//! random networks of up to 12 nodes (with unknown nodes, nodes without quorum sets, nested
//! sets, and random organisations).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure is the report

use mcnode_fbas::blocking;
use mcnode_fbas::fbas::{RawNode, RawQSet};
use mcnode_fbas::quorums::{self, Budget};
use mcnode_fbas::{
    Fbas, Grouping, NodeSet, check_intersection, intersection, minimal_blocking_sets,
    minimal_splitting_sets,
};
use proptest::prelude::*;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_qset(rng: &mut Rng, names: &[String], depth: usize) -> RawQSet {
    let mut validators: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let v = names[rng.below(names.len())].clone();
        if !validators.contains(&v) {
            validators.push(v);
        }
    }
    let mut inner = Vec::new();
    if depth == 0 && rng.below(3) == 0 {
        let mut q = random_qset(rng, names, 1);
        q.validators.retain(|v| !validators.contains(v));
        if !q.validators.is_empty() {
            q.threshold = q.threshold.min(q.validators.len() as u64);
            inner.push(q);
        }
    }
    let members = validators.len() + inner.len();
    RawQSet { threshold: 1 + rng.below(members) as u64, validators, inner }
}

/// A random network: `n` defined nodes, maybe one unknown node, maybe organisations.
fn random_network(seed: u64, n: usize) -> (Fbas, Vec<(String, Vec<usize>)>) {
    let mut rng = Rng(seed);
    let mut names: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
    if n < 12 && rng.below(3) == 0 {
        names.push("unknown".into());
    }
    let defs = (0..n)
        .map(|i| RawNode {
            id: names[i].clone(),
            name: None,
            qset: (rng.below(8) != 0).then(|| random_qset(&mut rng, &names, 0)),
        })
        .collect();
    let f = Fbas::from_raw(defs).unwrap();
    let mut orgs = Vec::new();
    let mut v = 0;
    while v < f.len() {
        let size = 1 + rng.below(3);
        let members: Vec<usize> = (v..(v + size).min(f.len())).collect();
        orgs.push((format!("org{}", orgs.len()), members));
        v += size;
    }
    (f, orgs)
}

/// Everything the oracle computes, by looking at every subset.
struct Oracle {
    quorum: Vec<bool>,
    minimal_quorums: Vec<u32>,
    intersects: bool,
    /// Minimal blocking / splitting sets as node masks (unions of group members).
    blocking: Vec<u32>,
    splitting: Vec<u32>,
}

fn set(f: &Fbas, mask: u32) -> NodeSet {
    NodeSet::from_indices(f.len(), (0..f.len()).filter(|i| mask & (1 << i) != 0))
}

fn satisfied(f: &Fbas, v: usize, mask: u32) -> bool {
    f.is_satisfied(v, &set(f, mask))
}

fn oracle(f: &Fbas, groups: &[u32]) -> Oracle {
    let n = f.len();
    let full: u32 = (1u32 << n) - 1;
    let quorum: Vec<bool> = (0..=full)
        .map(|m| m != 0 && (0..n).filter(|i| m & (1 << i) != 0).all(|i| satisfied(f, i, m)))
        .collect();
    // contains[m]: some quorum inside m.
    let mut contains = quorum.clone();
    for m in 0..=full {
        if !contains[m as usize] {
            contains[m as usize] =
                (0..n).any(|i| m & (1 << i) != 0 && contains[(m & !(1 << i)) as usize]);
        }
    }
    let minimal_quorums: Vec<u32> = (1..=full)
        .filter(|&m| {
            quorum[m as usize]
                && (0..n).all(|i| m & (1 << i) == 0 || !contains[(m & !(1 << i)) as usize])
        })
        .collect();
    let intersects = !(1..=full).any(|m| quorum[m as usize] && contains[(full & !m) as usize]);
    // Splitting: S splits if two disjoint non-empty A, B outside S are quorums once S counts
    // as present everywhere.
    let splits = |s: u32| -> bool {
        let rest = full & !s;
        let mut rel = vec![false; 1 << n];
        let mut sub = rest;
        loop {
            if sub != 0 {
                rel[sub as usize] =
                    (0..n).filter(|i| sub & (1 << i) != 0).all(|i| satisfied(f, i, sub | s));
            }
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & rest;
        }
        let mut cont = rel.clone();
        // Submasks in increasing order.
        let mut subs: Vec<u32> = Vec::new();
        let mut sub = rest;
        loop {
            subs.push(sub);
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & rest;
        }
        subs.reverse();
        for &m in &subs {
            if !cont[m as usize] {
                cont[m as usize] =
                    (0..n).any(|i| m & (1 << i) != 0 && cont[(m & !(1 << i)) as usize]);
            }
        }
        subs.iter().any(|&a| rel[a as usize] && cont[(rest & !a) as usize])
    };
    let g = groups.len();
    let nodes_of = |gm: u32| -> u32 {
        (0..g).filter(|j| gm & (1 << j) != 0).fold(0, |acc, j| acc | groups[j])
    };
    let blocks: Vec<bool> =
        (0..1u32 << g).map(|gm| !contains[(full & !nodes_of(gm)) as usize]).collect();
    let split: Vec<bool> = (0..1u32 << g).map(|gm| splits(nodes_of(gm))).collect();
    let minimal = |prop: &[bool]| -> Vec<u32> {
        // any[gm]: some subset of gm has the property.
        let mut any = prop.to_vec();
        for gm in 0..1u32 << g {
            if !any[gm as usize] {
                any[gm as usize] =
                    (0..g).any(|j| gm & (1 << j) != 0 && any[(gm & !(1 << j)) as usize]);
            }
        }
        let mut out: Vec<u32> = (0..1u32 << g)
            .filter(|&gm| {
                prop[gm as usize]
                    && (0..g).all(|j| gm & (1 << j) == 0 || !any[(gm & !(1 << j)) as usize])
            })
            .map(nodes_of)
            .collect();
        out.sort_unstable();
        out
    };
    Oracle {
        quorum,
        minimal_quorums,
        intersects,
        blocking: minimal(&blocks),
        splitting: minimal(&split),
    }
}

fn mask(s: &NodeSet) -> u32 {
    s.iter().fold(0, |m, i| m | (1 << i))
}

fn check_all(f: &Fbas, grouping: &Grouping) {
    let groups: Vec<u32> = (0..grouping.len()).map(|g| mask(grouping.members(g))).collect();
    let o = oracle(f, &groups);
    let i = check_intersection(f).unwrap();
    assert_eq!(i.intersects, o.intersects, "intersection verdict");
    if let Some((a, b)) = &i.split {
        assert!(
            o.quorum[mask(a) as usize] && o.quorum[mask(b) as usize] && a.is_disjoint(b),
            "split proof"
        );
        assert!(o.minimal_quorums.contains(&mask(a)) && o.minimal_quorums.contains(&mask(b)));
    }
    let e = intersection::check_intersection_enumerating(f, &mut Budget::new_default()).unwrap();
    assert_eq!(e.intersects, o.intersects, "enumerating intersection verdict");
    let mq = quorums::minimal_quorums(f, &mut Budget::new_default());
    assert_eq!(mq.count, o.minimal_quorums.len() as u64, "minimal quorum count");
    assert_eq!(mask(&mq.top_tier), o.minimal_quorums.iter().fold(0, |a, m| a | m), "top tier");
    let to_masks = |sets: &[Vec<usize>]| -> Vec<u32> {
        let mut v: Vec<u32> =
            sets.iter().map(|s| s.iter().fold(0, |m, &g| m | groups[g])).collect();
        v.sort_unstable();
        v
    };
    let b = minimal_blocking_sets(f, grouping, Budget::new_default());
    assert!(b.complete);
    assert_eq!(to_masks(&b.sets), o.blocking, "minimal blocking sets");
    let b = blocking::minimal_blocking_sets_searching(f, grouping, Budget::new_default());
    assert!(b.complete);
    assert_eq!(to_masks(&b.sets), o.blocking, "minimal blocking sets (searching)");
    let s = minimal_splitting_sets(f, grouping, Budget::new_default()).unwrap();
    assert!(s.complete);
    assert_eq!(to_masks(&s.sets), o.splitting, "minimal splitting sets");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn analyses_match_brute_force(seed in any::<u64>(), n in 1usize..=12) {
        let (f, orgs) = random_network(seed, n);
        check_all(&f, &Grouping::per_node(&f));
        check_all(&f, &Grouping::from_groups(&f, orgs));
    }
}

#[test]
fn oracle_sees_known_cases() {
    // Two disjoint 2-of-2 pairs: no intersection, the empty set splits, blocking = one of each.
    let q = |a: &str, b: &str| RawQSet {
        threshold: 2,
        validators: vec![a.into(), b.into()],
        inner: vec![],
    };
    let f = Fbas::from_raw(vec![
        RawNode { id: "a".into(), name: None, qset: Some(q("a", "b")) },
        RawNode { id: "b".into(), name: None, qset: Some(q("a", "b")) },
        RawNode { id: "c".into(), name: None, qset: Some(q("c", "d")) },
        RawNode { id: "d".into(), name: None, qset: Some(q("c", "d")) },
    ])
    .unwrap();
    let o = oracle(&f, &[1, 2, 4, 8]);
    assert!(!o.intersects);
    assert_eq!(o.splitting, vec![0]);
    assert_eq!(o.blocking, vec![0b0101, 0b0110, 0b1001, 0b1010]);
    check_all(&f, &Grouping::per_node(&f));
}
