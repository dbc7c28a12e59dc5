//! Quorum sets: stellar-core's `QuorumSetTests.cpp` limits, `SCPTests.cpp` "vblocking and
//! quorum", `SCPUnitTests.cpp` weights, and property tests of the slice, v-blocking and
//! quorum predicates (paper §3, Defs. 2, 3, 5) against a brute-force oracle that enumerates
//! slices and subsets explicitly.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use mcnode_scp::quorum_set::{MAX_NESTING_DEPTH, MAX_VALIDATORS};
use mcnode_scp::{QuorumSet, QuorumSetError, QuorumSetWarning, largest_quorum_within};
use mcnode_types::{Decode, DecodeError, Encode, NodeId};
use proptest::prelude::*;

fn n(i: u32) -> NodeId {
    let mut b = [0u8; 32];
    b[..4].copy_from_slice(&i.to_be_bytes());
    b[31] = 1;
    NodeId(b)
}

fn flat(t: u32, ids: &[u32]) -> QuorumSet {
    QuorumSet::new(t, ids.iter().map(|i| n(*i)).collect())
}

fn members(ids: &[u32]) -> impl Fn(&NodeId) -> bool {
    let set: BTreeSet<NodeId> = ids.iter().map(|i| n(*i)).collect();
    move |x| set.contains(x)
}

#[test]
fn vblocking_and_quorum_3_of_4() {
    // stellar-core "vblocking and quorum".
    let q = flat(3, &[0, 1, 2, 3]);
    assert!(!q.is_slice_satisfied(&members(&[0])));
    assert!(!q.is_v_blocking(&members(&[0])));
    assert!(q.is_v_blocking(&members(&[0, 2])));
    assert!(!q.is_slice_satisfied(&members(&[0, 2])));
    assert!(q.is_slice_satisfied(&members(&[0, 2, 3])));
    assert!(q.is_v_blocking(&members(&[0, 2, 3])));
}

#[test]
fn nested_predicates() {
    // 2-of { a, {2-of b c d}, {1-of e f} }
    let q = QuorumSet {
        threshold: 2,
        validators: vec![n(0)],
        inner_sets: vec![flat(2, &[1, 2, 3]), flat(1, &[4, 5])],
    };
    assert!(q.is_slice_satisfied(&members(&[0, 4])));
    assert!(q.is_slice_satisfied(&members(&[1, 2, 5])));
    assert!(!q.is_slice_satisfied(&members(&[1, 4])));
    // Blocking needs 2 of the 3 entries blocked: {e, f} blocks the inner 1-of-2, plus a.
    assert!(q.is_v_blocking(&members(&[0, 4, 5])));
    assert!(!q.is_v_blocking(&members(&[4, 5])));
    // {b, c} blocks the 2-of-3 inner set; with a that is two entries.
    assert!(q.is_v_blocking(&members(&[0, 1, 2])));
    assert!(!q.is_v_blocking(&members(&[0, 1])));
}

#[test]
fn validation_limits() {
    assert_eq!(flat(0, &[1]).validate(), Err(QuorumSetError::ZeroThreshold { depth: 0 }));
    assert_eq!(
        flat(3, &[1, 2]).validate(),
        Err(QuorumSetError::ThresholdAboveEntries { depth: 0, threshold: 3, entries: 2 })
    );
    let dup = QuorumSet { threshold: 1, validators: vec![n(1)], inner_sets: vec![flat(1, &[1])] };
    assert_eq!(dup.validate(), Err(QuorumSetError::DuplicateValidator { node: n(1) }));
    // Nesting: depth 4 passes, 5 fails (QuorumSetTests.cpp).
    let mut q = flat(1, &[100]);
    for d in 0..MAX_NESTING_DEPTH {
        q = QuorumSet { threshold: 1, validators: vec![n(d)], inner_sets: vec![q] };
    }
    assert_eq!(q.validate(), Ok(()));
    let deeper = QuorumSet { threshold: 1, validators: vec![n(99)], inner_sets: vec![q.clone()] };
    assert_eq!(deeper.validate(), Err(QuorumSetError::TooDeep { depth: 5, max: 4 }));
    // 1000 validators pass, 1001 fail.
    let ids: Vec<u32> = (0..MAX_VALIDATORS as u32).collect();
    assert_eq!(flat(700, &ids).validate(), Ok(()));
    let ids: Vec<u32> = (0..=MAX_VALIDATORS as u32).collect();
    assert!(matches!(flat(700, &ids).validate(), Err(QuorumSetError::ValidatorCount { .. })));
    // An empty set of validators (only an empty inner set) is refused.
    let empty = QuorumSet { threshold: 1, validators: vec![], inner_sets: vec![flat(1, &[])] };
    assert!(empty.validate().is_err());
}

#[test]
fn sanity_warnings() {
    assert!(flat(3, &[0, 1, 2, 3]).sanity_warnings().is_empty());
    assert!(flat(2, &[0, 1, 2]).sanity_warnings().is_empty());
    assert_eq!(
        flat(3, &[0, 1, 2, 3, 4]).sanity_warnings(),
        vec![QuorumSetWarning::TopBelowTwoThirds { threshold: 3, entries: 5 }]
    );
    let w = flat(2, &[0, 1, 2, 3]).sanity_warnings();
    assert!(w.contains(&QuorumSetWarning::BelowMajority { depth: 0, threshold: 2, entries: 4 }));
    let nested = QuorumSet {
        threshold: 2,
        validators: vec![n(0), n(1)],
        inner_sets: vec![flat(1, &[4, 5])],
    };
    assert_eq!(
        nested.sanity_warnings(),
        vec![QuorumSetWarning::BelowMajority { depth: 1, threshold: 1, entries: 2 }]
    );
}

#[test]
fn weights_follow_thresholds_and_nesting() {
    // SCPUnitTests.cpp: 3-of-4 gives 0.75; a member of an inner 1-of-2 inside 3-of-5 gets
    // 3/5 * 1/2 = 0.3 (PR #1820: threshold over entries, not thresholds alone).
    let q = flat(3, &[0, 1, 2, 3]);
    let w = q.node_weight(&n(1)) as f64 / u64::MAX as f64;
    assert!((w - 0.75).abs() < 1e-9);
    let q = QuorumSet {
        threshold: 3,
        validators: vec![n(0), n(1), n(2), n(3)],
        inner_sets: vec![flat(1, &[4, 5])],
    };
    let w = q.node_weight(&n(5)) as f64 / u64::MAX as f64;
    assert!((w - 0.3).abs() < 1e-9);
    assert_eq!(q.node_weight(&n(42)), 0);
}

#[test]
fn hash_is_stable_and_encoding_round_trips() {
    let q =
        QuorumSet { threshold: 2, validators: vec![n(1), n(2)], inner_sets: vec![flat(1, &[3])] };
    let bytes = q.to_canonical_bytes();
    assert_eq!(QuorumSet::from_canonical_bytes(&bytes).unwrap(), q);
    // Pinned: changing the encoding or the domain tag changes every statement's qset hash.
    assert_eq!(
        q.hash().to_hex(),
        mcnode_types::Hash32::digest(b"mcnode-scp-qset-v1", &bytes).to_hex()
    );
    assert_eq!(&bytes[..4], &2u32.to_be_bytes());
    assert_ne!(q.hash(), flat(2, &[1, 2]).hash());
    // Forged deep nesting is refused by the decoder before it can exhaust the stack.
    let mut deep = Vec::new();
    for _ in 0..10_000 {
        deep.extend_from_slice(&1u32.to_be_bytes()); // threshold
        deep.extend_from_slice(&0u32.to_be_bytes()); // no validators
        deep.extend_from_slice(&1u32.to_be_bytes()); // one inner set
    }
    assert!(matches!(QuorumSet::from_canonical_bytes(&deep), Err(DecodeError::Invalid { .. })));
}

// ---------------------------------------------------------------- brute-force oracle

/// Every slice of `q` as an explicit node set.
fn slices(q: &QuorumSet) -> Vec<BTreeSet<NodeId>> {
    let mut entries: Vec<Vec<BTreeSet<NodeId>>> =
        q.validators.iter().map(|v| vec![BTreeSet::from([*v])]).collect();
    entries.extend(q.inner_sets.iter().map(slices));
    let mut out = Vec::new();
    let k = entries.len();
    for mask in 0u32..(1 << k) {
        if mask.count_ones() != q.threshold {
            continue;
        }
        let mut acc = vec![BTreeSet::new()];
        for (i, options) in entries.iter().enumerate() {
            if mask & (1 << i) == 0 {
                continue;
            }
            let mut next = Vec::new();
            for a in &acc {
                for o in options {
                    next.push(a.union(o).copied().collect());
                }
            }
            acc = next;
        }
        out.extend(acc);
    }
    out
}

fn qset_strategy(universe: u32) -> impl Strategy<Value = QuorumSet> {
    let leaf =
        (prop::collection::btree_set(0..universe, 0..4), any::<u32>()).prop_map(|(ids, t)| {
            let v: Vec<NodeId> = ids.into_iter().map(n).collect();
            let entries = v.len() as u32;
            QuorumSet {
                threshold: if entries == 0 { 0 } else { 1 + t % entries },
                validators: v,
                inner_sets: vec![],
            }
        });
    leaf.prop_recursive(2, 12, 3, move |inner| {
        (
            prop::collection::btree_set(0..universe, 0..3),
            prop::collection::vec(inner, 0..3),
            any::<u32>(),
        )
            .prop_map(|(ids, inner_sets, t)| {
                let validators: Vec<NodeId> = ids.into_iter().map(n).collect();
                let entries = (validators.len() + inner_sets.len()) as u32;
                QuorumSet {
                    threshold: if entries == 0 { 0 } else { 1 + t % entries },
                    validators,
                    inner_sets,
                }
            })
    })
}

const U: u32 = 5;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn slice_and_v_blocking_match_oracle(q in qset_strategy(U), mask in 0u32..(1 << U)) {
        let set: BTreeSet<NodeId> = (0..U).filter(|i| mask & (1 << i) != 0).map(n).collect();
        let member = |x: &NodeId| set.contains(x);
        let all = slices(&q);
        let oracle_slice = all.iter().any(|s| s.is_subset(&set));
        let oracle_block = q.threshold > 0 && all.iter().all(|s| !s.is_disjoint(&set));
        prop_assert_eq!(q.is_slice_satisfied(&member), oracle_slice);
        prop_assert_eq!(q.is_v_blocking(&member), oracle_block);
    }

    #[test]
    fn largest_quorum_matches_oracle(
        qsets in prop::collection::vec(prop::option::of(qset_strategy(U)), U as usize),
        mask in 0u32..(1 << U),
    ) {
        let map: BTreeMap<NodeId, QuorumSet> = qsets
            .into_iter()
            .enumerate()
            .filter_map(|(i, q)| q.map(|q| (n(i as u32), q)))
            .collect();
        let cands: BTreeSet<NodeId> = (0..U).filter(|i| mask & (1 << i) != 0).map(n).collect();
        let got = largest_quorum_within(&cands, |x| map.get(x));
        // Oracle: the union of every subset U of the candidates that is a quorum.
        let mut expected = BTreeSet::new();
        let cl: Vec<NodeId> = cands.iter().copied().collect();
        for sub in 1u32..(1 << cl.len()) {
            let u: BTreeSet<NodeId> =
                cl.iter().enumerate().filter(|(i, _)| sub & (1 << i) != 0).map(|(_, x)| *x).collect();
            let is_quorum = u.iter().all(|x| {
                map.get(x).is_some_and(|q| slices(q).iter().any(|s| s.is_subset(&u)))
            });
            if is_quorum {
                expected.extend(u);
            }
        }
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn encoding_round_trips(q in qset_strategy(U)) {
        let bytes = q.to_canonical_bytes();
        prop_assert_eq!(QuorumSet::from_canonical_bytes(&bytes).unwrap(), q);
    }
}

/// An unvalidated set whose threshold exceeds its entries has no slice: nothing satisfies it
/// and every set, even the empty one, blocks it (and the predicates must not panic on it).
#[test]
fn unvalidated_threshold_above_entries_is_unsatisfiable_and_blocked_by_anything() {
    let q = flat(4, &[0, 1, 2]);
    assert!(q.validate().is_err());
    assert!(!q.is_slice_satisfied(&members(&[0, 1, 2])));
    assert!(q.is_v_blocking(&members(&[])));
    assert!(q.is_v_blocking(&members(&[0])));
}
