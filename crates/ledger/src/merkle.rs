//! The Merkle tree of all outputs, stored so that the root and a membership proof against ANY
//! past tree size cost `O(log n)` node reads.
//!
//! The tree is the one `mcnode_tx::membership` defines (leaf, node and empty domains; depth
//! `⌈log2 n⌉`; empty subtrees hash to `empty_hash()` at every height). What we store: every
//! *complete* node, i.e. node `(h, p)` covering leaves `[p·2^h, (p+1)·2^h)` once all of those
//! leaves exist. A complete node never changes again, so the store is append-only (about `2n`
//! hashes for `n` leaves, leaves included at height 0; the LMDB backend stores only heights
//! `≥ 1` and derives a leaf from its output, which halves the tree's share of each write).
//!
//! For a tree of `m ≤ n` leaves, a node is *complete* (stored), *empty* (`p·2^h ≥ m`, hash =
//! `empty_hash()`) or *partial*. Partial nodes are exactly those on the path from leaf `m-1` to
//! the root; a partial node's hash is `node(left, right)` where at most one child is partial, so
//! [`subtree_hash`] costs at most `h` reads. A proof's siblings include at most one partial node
//! (above it the path coincides with the right edge, below it every sibling is complete), so a
//! proof costs `O(log n)` reads and hashes whatever `m` it is against.
//!
//! Appending leaves `[n, n')` creates, at each height `h`, the complete nodes with positions
//! `[n >> h, n' >> h)`; each needs its two children, of which only the leftmost left child can
//! be an old node: one read per height ([`append_leaves`]).

use mcnode_tx::membership::{MembershipProof, empty_hash, node_hash, tree_depth};
use mcnode_types::Hash32;

/// Read access to the stored complete nodes.
pub trait NodeSource {
    /// The backend's error (a missing node is the backend's corruption error).
    type Error;
    /// The hash of complete node `(height, pos)`.
    fn complete_node(&self, height: u32, pos: u64) -> Result<Hash32, Self::Error>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    type Error = T::Error;
    fn complete_node(&self, height: u32, pos: u64) -> Result<Hash32, T::Error> {
        (**self).complete_node(height, pos)
    }
}

/// The hash of node `(h, p)` in the tree of `m` leaves (complete, empty or partial).
pub fn subtree_hash<S: NodeSource + ?Sized>(
    src: &S,
    h: u32,
    p: u64,
    m: u64,
) -> Result<Hash32, S::Error> {
    let start = (p as u128) << h;
    let end = (p as u128 + 1) << h;
    if start >= m as u128 {
        Ok(empty_hash())
    } else if end <= m as u128 {
        src.complete_node(h, p)
    } else {
        // 0 < h here: a leaf is either complete or empty.
        let left = subtree_hash(src, h - 1, 2 * p, m)?;
        let right = subtree_hash(src, h - 1, 2 * p + 1, m)?;
        Ok(node_hash(&left, &right))
    }
}

/// The root of the tree of the first `m` leaves.
pub fn root<S: NodeSource + ?Sized>(src: &S, m: u64) -> Result<Hash32, S::Error> {
    if m == 0 { Ok(empty_hash()) } else { subtree_hash(src, tree_depth(m), 0, m) }
}

/// A membership proof for leaf `index` in the tree of the first `m` leaves; the caller checks
/// `index < m`.
pub fn proof<S: NodeSource + ?Sized>(
    src: &S,
    index: u64,
    m: u64,
) -> Result<MembershipProof, S::Error> {
    let depth = tree_depth(m);
    let mut siblings = Vec::with_capacity(depth as usize);
    for h in 0..depth {
        siblings.push(subtree_hash(src, h, (index >> h) ^ 1, m)?);
    }
    Ok(MembershipProof { index, leaf_count: m, siblings })
}

/// The complete nodes created by appending leaves `[start, end)`: at height `h`, positions
/// `[start >> h, end >> h)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewNodes {
    start: u64,
    levels: Vec<Vec<Hash32>>,
}

impl NewNodes {
    /// Every new node as `(height, position, hash)`, leaves first.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u64, Hash32)> + '_ {
        self.levels.iter().enumerate().flat_map(move |(h, level)| {
            let first = self.start >> h;
            level.iter().enumerate().map(move |(k, x)| (h as u32, first + k as u64, *x))
        })
    }

    fn get(&self, h: u32, p: u64) -> Option<Hash32> {
        let first = self.start.checked_shr(h).unwrap_or(0);
        let level = self.levels.get(h as usize)?;
        level.get(usize::try_from(p.checked_sub(first)?).ok()?).copied()
    }
}

/// A node source that sees `new` on top of `base`.
pub struct Overlay<'a, S: ?Sized> {
    /// The stored nodes.
    pub base: &'a S,
    /// Nodes not yet stored.
    pub new: &'a NewNodes,
}

impl<S: NodeSource + ?Sized> NodeSource for Overlay<'_, S> {
    type Error = S::Error;
    fn complete_node(&self, height: u32, pos: u64) -> Result<Hash32, S::Error> {
        match self.new.get(height, pos) {
            Some(x) => Ok(x),
            None => self.base.complete_node(height, pos),
        }
    }
}

/// Computes the complete nodes created by appending `leaves` to a tree of `n` leaves.
pub fn append_leaves<S: NodeSource + ?Sized>(
    src: &S,
    n: u64,
    leaves: &[Hash32],
) -> Result<NewNodes, S::Error> {
    let end = n + leaves.len() as u64;
    let mut new = NewNodes { start: n, levels: vec![leaves.to_vec()] };
    let mut h = 1u32;
    while h < 64 && (end >> h) > (n >> h) {
        let lo = n >> h;
        let hi = end >> h;
        let child_first = n >> (h - 1);
        let below = &new.levels[(h - 1) as usize];
        let mut level = Vec::with_capacity((hi - lo) as usize);
        for p in lo..hi {
            let child = |c: u64| -> Result<Hash32, S::Error> {
                match c.checked_sub(child_first).and_then(|k| below.get(k as usize)) {
                    Some(x) => Ok(*x),
                    None => src.complete_node(h - 1, c),
                }
            };
            level.push(node_hash(&child(2 * p)?, &child(2 * p + 1)?));
        }
        new.levels.push(level);
        h += 1;
    }
    Ok(new)
}

/// An in-memory store of complete nodes (one vector per height).
#[derive(Clone, Debug, Default)]
pub struct MemTree {
    levels: Vec<Vec<Hash32>>,
}

/// A node the in-memory tree does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Merkle node at height {height}, position {pos} is missing")]
pub struct MissingNode {
    /// Height.
    pub height: u32,
    /// Position.
    pub pos: u64,
}

impl MemTree {
    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Number of stored inner nodes (heights `≥ 1`).
    pub fn inner_node_count(&self) -> u64 {
        self.levels.iter().skip(1).map(|l| l.len() as u64).sum()
    }

    /// Whether it has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stores new nodes computed by [`append_leaves`] against this tree.
    pub fn apply(&mut self, new: &NewNodes) {
        for (h, _, x) in new.iter() {
            if self.levels.len() <= h as usize {
                self.levels.push(Vec::new());
            }
            self.levels[h as usize].push(x);
        }
    }

    /// Appends leaves.
    pub fn push_leaves(&mut self, leaves: &[Hash32]) -> Result<(), MissingNode> {
        let new = append_leaves(self, self.len(), leaves)?;
        self.apply(&new);
        Ok(())
    }
}

impl NodeSource for MemTree {
    type Error = MissingNode;
    fn complete_node(&self, height: u32, pos: u64) -> Result<Hash32, MissingNode> {
        self.levels
            .get(height as usize)
            .and_then(|l| l.get(usize::try_from(pos).ok()?))
            .copied()
            .ok_or(MissingNode { height, pos })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_tx::membership::{merkle_root, prove};
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash32> {
        (0..n as u64).map(|i| Hash32::digest(b"leaf", &i.to_be_bytes())).collect()
    }

    #[test]
    fn stores_exactly_the_complete_nodes() {
        let mut t = MemTree::default();
        t.push_leaves(&leaves(5)).unwrap();
        t.push_leaves(&leaves(8)[5..]).unwrap();
        let l = leaves(8);
        assert_eq!(t.levels.iter().map(Vec::len).collect::<Vec<_>>(), vec![8, 4, 2, 1]);
        assert_eq!(t.complete_node(3, 0).unwrap(), merkle_root(&l));
        assert_eq!(t.complete_node(4, 0), Err(MissingNode { height: 4, pos: 0 }));
    }

    proptest! {
        // The stored tree agrees with the naive reference for every past size and index,
        // however the leaves were split into blocks.
        #[test]
        fn agrees_with_naive_tree_at_every_past_size(
            chunks in proptest::collection::vec(0usize..9, 1..12),
            pick in any::<u64>(),
        ) {
            let total: usize = chunks.iter().sum();
            let all = leaves(total);
            let mut t = MemTree::default();
            let mut at = 0;
            for c in &chunks {
                t.push_leaves(&all[at..at + c]).unwrap();
                at += c;
            }
            for m in 0..=total {
                prop_assert_eq!(root(&t, m as u64).unwrap(), merkle_root(&all[..m]));
                if m > 0 {
                    let i = pick % m as u64;
                    let p = proof(&t, i, m as u64).unwrap();
                    prop_assert_eq!(&p, &prove(&all[..m], i).unwrap());
                    prop_assert!(p.verify(&all[i as usize], &merkle_root(&all[..m])).is_ok());
                }
            }
        }
    }

    #[test]
    fn overlay_sees_pending_nodes() {
        let mut t = MemTree::default();
        let l = leaves(11);
        t.push_leaves(&l[..6]).unwrap();
        let new = append_leaves(&t, 6, &l[6..]).unwrap();
        let view = Overlay { base: &t, new: &new };
        assert_eq!(root(&view, 11).unwrap(), merkle_root(&l));
        assert_eq!(root(&t, 6).unwrap(), merkle_root(&l[..6]));
        let p = proof(&view, 9, 11).unwrap();
        p.verify(&l[9], &merkle_root(&l)).unwrap();
        let mut bad = p;
        bad.siblings[0].0[0] ^= 1;
        assert!(bad.verify(&l[9], &merkle_root(&l)).is_err());
    }
}
