//! Quorum sets compiled to small node indices, for the hot path of federated voting.
//!
//! Every accept/confirm step evaluates slices of dozens of quorum sets over the latest
//! statements; comparing 32-byte node ids there dominated the 50-node benchmark. A node
//! therefore numbers every node it meets ([`NodeIndex`]) and compiles each known quorum set
//! once ([`Compiled`]); membership is then a bit test. The predicates mean exactly what
//! [`QuorumSet::is_slice_satisfied`] and [`QuorumSet::is_v_blocking`] mean (a unit test
//! checks them against each other), and [`largest_quorum`] is the fixpoint behind both
//! [`crate::largest_quorum_within`] and the node's own quorum checks.

use std::collections::HashMap;

use mcnode_types::NodeId;

use crate::QuorumSet;

/// Numbers nodes densely, in order of first appearance.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeIndex {
    ids: HashMap<NodeId, u32>,
}

impl NodeIndex {
    pub(crate) fn index(&mut self, id: NodeId) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(id).or_insert(next)
    }

    /// How many ids have an index.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Takes back the index just given to `id` by [`NodeIndex::index`] when it was new (the
    /// last index, so no other id moves).
    pub(crate) fn forget_newest(&mut self, id: NodeId) {
        if self.ids.get(&id).is_some_and(|i| *i as usize + 1 == self.ids.len()) {
            self.ids.remove(&id);
        }
    }
}

/// A set of node indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BitSet(Vec<u64>);

impl BitSet {
    pub(crate) fn insert(&mut self, i: u32) {
        let (w, b) = ((i / 64) as usize, i % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }

    pub(crate) fn remove(&mut self, i: u32) {
        let (w, b) = ((i / 64) as usize, i % 64);
        if let Some(word) = self.0.get_mut(w) {
            *word &= !(1 << b);
        }
    }

    pub(crate) fn contains(&self, i: u32) -> bool {
        let (w, b) = ((i / 64) as usize, i % 64);
        self.0.get(w).is_some_and(|word| word & (1 << b) != 0)
    }
}

/// A quorum set over node indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Compiled {
    threshold: u32,
    validators: Vec<u32>,
    inner: Vec<Compiled>,
}

impl Compiled {
    pub(crate) fn compile(q: &QuorumSet, index: &mut NodeIndex) -> Compiled {
        Compiled {
            threshold: q.threshold,
            validators: q.validators.iter().map(|v| index.index(*v)).collect(),
            inner: q.inner_sets.iter().map(|i| Compiled::compile(i, index)).collect(),
        }
    }

    /// `{1, [node]}`.
    pub(crate) fn singleton(node: u32) -> Compiled {
        Compiled { threshold: 1, validators: vec![node], inner: Vec::new() }
    }

    fn entries(&self) -> usize {
        self.validators.len() + self.inner.len()
    }

    /// Some slice lies inside `set`.
    pub(crate) fn slice_satisfied(&self, set: &BitSet) -> bool {
        let mut left = self.threshold as usize;
        if left == 0 {
            return true;
        }
        // Not enough entries left to reach the threshold: stop early.
        let mut remaining = self.entries();
        for v in &self.validators {
            if set.contains(*v) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
            remaining -= 1;
            if remaining < left {
                return false;
            }
        }
        for inner in &self.inner {
            if inner.slice_satisfied(set) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
            remaining -= 1;
            if remaining < left {
                return false;
            }
        }
        false
    }

    /// `set` meets every slice.
    pub(crate) fn v_blocking(&self, set: &BitSet) -> bool {
        if self.threshold == 0 {
            return false;
        }
        let mut left = (self.entries() + 1).saturating_sub(self.threshold as usize);
        for v in &self.validators {
            if set.contains(*v) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
        }
        for inner in &self.inner {
            if inner.v_blocking(set) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
        }
        false
    }
}

/// The largest quorum among `members` (node index and its quorum set; `None` = unknown):
/// drop every member without a slice among the survivors until nothing changes.
pub(crate) fn largest_quorum(mut members: Vec<(u32, Option<&Compiled>)>) -> BitSet {
    let mut set = BitSet::default();
    for (i, _) in &members {
        set.insert(*i);
    }
    // Nodes usually share quorum sets (one compiled set per distinct hash, so equal sets are
    // the same object): evaluate each distinct set once per round.
    let mut memo: Vec<(*const Compiled, bool)> = Vec::new();
    loop {
        let before = members.len();
        memo.clear();
        let snapshot = set.clone();
        members.retain(|(i, q)| {
            let keep = match q {
                None => false,
                Some(q) => {
                    let ptr: *const Compiled = *q;
                    match memo.iter().find(|(p, _)| std::ptr::eq(*p, ptr)) {
                        Some((_, ok)) => *ok,
                        None => {
                            let ok = q.slice_satisfied(&snapshot);
                            memo.push((ptr, ok));
                            ok
                        }
                    }
                }
            };
            if !keep {
                set.remove(*i);
            }
            keep
        });
        if members.len() == before {
            return set;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(i: u8) -> NodeId {
        NodeId([i; 32])
    }

    fn qset() -> impl Strategy<Value = QuorumSet> {
        let leaf =
            (prop::collection::btree_set(0u8..6, 0..4), any::<u32>()).prop_map(|(ids, t)| {
                let validators: Vec<NodeId> = ids.into_iter().map(n).collect();
                let e = validators.len() as u32;
                QuorumSet {
                    threshold: if e == 0 { 0 } else { 1 + t % e },
                    validators,
                    inner_sets: vec![],
                }
            });
        leaf.prop_recursive(2, 10, 3, |inner| {
            (
                prop::collection::btree_set(0u8..6, 0..3),
                prop::collection::vec(inner, 0..3),
                any::<u32>(),
            )
                .prop_map(|(ids, inner_sets, t)| {
                    let validators: Vec<NodeId> = ids.into_iter().map(n).collect();
                    let e = (validators.len() + inner_sets.len()) as u32;
                    QuorumSet {
                        threshold: if e == 0 { 0 } else { 1 + t % e },
                        validators,
                        inner_sets,
                    }
                })
        })
    }

    proptest! {
        #[test]
        fn compiled_predicates_equal_quorum_set_predicates(q in qset(), mask in 0u8..64) {
            let mut index = NodeIndex::default();
            // Number the nodes in a scrambled order so indices differ from ids.
            for i in [3u8, 0, 5, 1, 4, 2] {
                index.index(n(i));
            }
            let c = Compiled::compile(&q, &mut index);
            let mut bits = BitSet::default();
            for i in 0u8..6 {
                if mask & (1 << i) != 0 {
                    bits.insert(index.index(n(i)));
                }
            }
            let member = |x: &NodeId| (0u8..6).any(|i| mask & (1 << i) != 0 && *x == n(i));
            prop_assert_eq!(c.slice_satisfied(&bits), q.is_slice_satisfied(&member));
            prop_assert_eq!(c.v_blocking(&bits), q.is_v_blocking(&member));
        }
    }

    #[test]
    fn bitset_basics() {
        let mut b = BitSet::default();
        assert!(!b.contains(130));
        b.insert(130);
        b.insert(1);
        assert!(b.contains(130) && b.contains(1) && !b.contains(2));
        b.remove(130);
        b.remove(9999);
        assert!(!b.contains(130));
    }
}
