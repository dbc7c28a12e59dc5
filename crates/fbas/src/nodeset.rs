//! A compact set of node indices (a bit set sized for one network).

/// A set of node indices `0..capacity`, stored as bits. All sets taking part in one operation
/// must come from the same [`crate::Fbas`] (same capacity); indices past the capacity are ignored.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeSet {
    words: Vec<u64>,
}

impl NodeSet {
    /// The empty set able to hold indices `0..capacity`.
    pub fn empty(capacity: usize) -> Self {
        NodeSet { words: vec![0; capacity.div_ceil(64)] }
    }

    /// The set `{0, .., capacity-1}`.
    pub fn full(capacity: usize) -> Self {
        let mut s = Self::empty(capacity);
        for i in 0..capacity {
            s.insert(i);
        }
        s
    }

    /// Builds a set from indices.
    pub fn from_indices(capacity: usize, items: impl IntoIterator<Item = usize>) -> Self {
        let mut s = Self::empty(capacity);
        for i in items {
            s.insert(i);
        }
        s
    }

    /// Whether `i` is a member.
    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    /// Adds `i`; returns whether it was new.
    #[inline]
    pub fn insert(&mut self, i: usize) -> bool {
        match self.words.get_mut(i / 64) {
            Some(w) => {
                let bit = 1u64 << (i % 64);
                let new = *w & bit == 0;
                *w |= bit;
                new
            }
            None => false,
        }
    }

    /// Removes `i`; returns whether it was present.
    #[inline]
    pub fn remove(&mut self, i: usize) -> bool {
        match self.words.get_mut(i / 64) {
            Some(w) => {
                let bit = 1u64 << (i % 64);
                let was = *w & bit != 0;
                *w &= !bit;
                was
            }
            None => false,
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// Members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + b)
            })
        })
    }

    /// `self ∪= other`.
    pub fn union_with(&mut self, other: &NodeSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= *b;
        }
    }

    /// `self ∩= other`.
    pub fn intersect_with(&mut self, other: &NodeSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= *b;
        }
    }

    /// `self ∖= other`.
    pub fn difference_with(&mut self, other: &NodeSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !*b;
        }
    }

    /// Whether every member of `self` is in `other`.
    pub fn is_subset(&self, other: &NodeSet) -> bool {
        self.words.iter().zip(&other.words).all(|(a, b)| a & !b == 0)
    }

    /// Whether the two sets share no member.
    pub fn is_disjoint(&self, other: &NodeSet) -> bool {
        self.words.iter().zip(&other.words).all(|(a, b)| a & b == 0)
    }

    /// `|self ∩ other|`, without allocating.
    pub fn intersection_len(&self, other: &NodeSet) -> usize {
        self.words.iter().zip(&other.words).map(|(a, b)| (a & b).count_ones() as usize).sum()
    }

    /// `|self ∖ other|`, without allocating.
    pub fn difference_len(&self, other: &NodeSet) -> usize {
        self.words.iter().zip(&other.words).map(|(a, b)| (a & !b).count_ones() as usize).sum()
    }

    /// Members as a vector.
    pub fn to_vec(&self) -> Vec<usize> {
        self.iter().collect()
    }
}

impl std::fmt::Debug for NodeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let mut a = NodeSet::from_indices(130, [0, 5, 64, 129]);
        let b = NodeSet::from_indices(130, [5, 64, 100]);
        assert_eq!(a.len(), 4);
        assert!(a.contains(129) && !a.contains(128));
        assert_eq!(a.to_vec(), vec![0, 5, 64, 129]);
        let mut c = a.clone();
        c.intersect_with(&b);
        assert_eq!(c.to_vec(), vec![5, 64]);
        assert!(c.is_subset(&a) && c.is_subset(&b) && !a.is_subset(&b));
        assert_eq!((a.intersection_len(&b), a.difference_len(&b)), (2, 2));
        a.difference_with(&b);
        assert_eq!(a.to_vec(), vec![0, 129]);
        assert!(a.is_disjoint(&b));
        a.union_with(&b);
        assert_eq!(a.len(), 5);
        assert!(a.remove(0) && !a.remove(0));
        assert!(!a.insert(500), "out-of-capacity inserts are ignored");
        assert_eq!(NodeSet::full(70).len(), 70);
    }
}
