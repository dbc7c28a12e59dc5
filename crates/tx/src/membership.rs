//! The Merkle tree of all ledger outputs and membership proofs against its root.
//!
//! One definition, used by the ledger (which builds the tree and produces proofs) and by
//! validation (which checks ring members against one root). The tree over `n` outputs, in ledger
//! order (global output index `0..n`):
//!
//! - leaf `i` = `TxOut::leaf_hash()` = `Hash32::digest(b"mcnode-txout-leaf-v1", txout bytes)`
//!   (`Hash32::digest(tag, data)` = `SHA-256(len(tag) as u8 ‖ tag ‖ data)`, see mcnode-types);
//! - the tree is a perfect binary tree of depth `d`, the smallest `d ≥ 0` with `2^d ≥ n`
//!   (`n = 1`: the root is the single leaf; `n = 0`: the root is [`empty_hash`]);
//! - a node whose range of leaf positions contains no index `< n` hashes to
//!   [`empty_hash`] = `Hash32::digest(b"mcnode-merkle-empty-v1", b"")`, at every height;
//! - any other inner node = `Hash32::digest(b"mcnode-merkle-node-v1", left ‖ right)` (64 bytes).
//!
//! A proof for index `i` in a tree of `n` leaves lists the `d` sibling hashes from the leaf level
//! upwards; at height `h` the node is a left child iff bit `h` of `i` is 0. The three domains
//! keep a leaf from being read as a node (second-preimage attacks on unbalanced trees).
//! [`merkle_root`] is the plain reference implementation the ledger's tests compare against.

use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader};

/// Domain tag of inner nodes.
pub const MERKLE_NODE_DOMAIN: &[u8] = b"mcnode-merkle-node-v1";
/// Domain tag of empty subtrees.
pub const MERKLE_EMPTY_DOMAIN: &[u8] = b"mcnode-merkle-empty-v1";
/// Longest accepted proof (a tree of up to 2^64 leaves).
pub const MAX_PROOF_DEPTH: u32 = 64;

/// The hash of an empty subtree (any height).
pub fn empty_hash() -> Hash32 {
    Hash32::digest(MERKLE_EMPTY_DOMAIN, b"")
}

/// The hash of an inner node.
pub fn node_hash(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_bytes());
    buf[32..].copy_from_slice(right.as_bytes());
    Hash32::digest(MERKLE_NODE_DOMAIN, &buf)
}

/// Depth of the tree over `n` leaves: the smallest `d` with `2^d ≥ n` (0 for `n ≤ 1`).
pub fn tree_depth(n: u64) -> u32 {
    if n <= 1 { 0 } else { 64 - (n - 1).leading_zeros() }
}

/// The root over `leaves` (reference implementation, `O(n)` memory).
pub fn merkle_root(leaves: &[Hash32]) -> Hash32 {
    if leaves.is_empty() {
        return empty_hash();
    }
    let mut level: Vec<Hash32> = leaves.to_vec();
    let depth = tree_depth(leaves.len() as u64);
    for _ in 0..depth {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            // A missing right child is an empty subtree; a pair of empties stays empty (such
            // pairs never occur here because `level` holds only nodes with real leaves).
            let right = pair.get(1).copied().unwrap_or_else(empty_hash);
            next.push(node_hash(&pair[0], &right));
        }
        level = next;
    }
    level.first().copied().unwrap_or_else(empty_hash)
}

/// A proof that a leaf is at `index` in the tree of `leaf_count` outputs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MembershipProof {
    /// Global output index of the leaf.
    pub index: u64,
    /// Number of outputs in the tree the proof is against.
    pub leaf_count: u64,
    /// Sibling hashes, leaf level first; exactly `tree_depth(leaf_count)` of them.
    pub siblings: Vec<Hash32>,
}

/// Why a membership proof is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    /// `index ≥ leaf_count`.
    #[error("index {index} is outside a tree of {leaf_count} leaves")]
    IndexOutOfRange {
        /// The proof's index.
        index: u64,
        /// The proof's tree size.
        leaf_count: u64,
    },
    /// Wrong number of siblings for the tree size.
    #[error("proof has {got} siblings, a tree of this size needs {expected}")]
    WrongDepth {
        /// Siblings given.
        got: usize,
        /// Siblings required.
        expected: u32,
    },
    /// The recomputed root differs from the expected root.
    #[error("proof does not lead to the expected root")]
    RootMismatch,
}

impl MembershipProof {
    /// The root this proof implies for `leaf`.
    pub fn implied_root(&self, leaf: &Hash32) -> Result<Hash32, MembershipError> {
        if self.index >= self.leaf_count {
            return Err(MembershipError::IndexOutOfRange {
                index: self.index,
                leaf_count: self.leaf_count,
            });
        }
        let depth = tree_depth(self.leaf_count);
        if self.siblings.len() != depth as usize {
            return Err(MembershipError::WrongDepth { got: self.siblings.len(), expected: depth });
        }
        let mut acc = *leaf;
        for (h, sib) in self.siblings.iter().enumerate() {
            acc = if (self.index >> h) & 1 == 0 {
                node_hash(&acc, sib)
            } else {
                node_hash(sib, &acc)
            };
        }
        Ok(acc)
    }

    /// Checks that `leaf` is at `self.index` in the tree with root `root`.
    pub fn verify(&self, leaf: &Hash32, root: &Hash32) -> Result<(), MembershipError> {
        if self.implied_root(leaf)? == *root { Ok(()) } else { Err(MembershipError::RootMismatch) }
    }
}

impl Encode for MembershipProof {
    fn encode(&self, out: &mut Vec<u8>) {
        self.index.encode(out);
        self.leaf_count.encode(out);
        self.siblings.encode(out);
    }
}

impl Decode for MembershipProof {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MembershipProof {
            index: u64::decode(r)?,
            leaf_count: u64::decode(r)?,
            siblings: r.seq(MAX_PROOF_DEPTH)?,
        })
    }
}

/// Builds the proof for `index` over `leaves` (reference implementation for tests and tools).
pub fn prove(leaves: &[Hash32], index: u64) -> Option<MembershipProof> {
    let n = leaves.len() as u64;
    if index >= n {
        return None;
    }
    let mut siblings = Vec::new();
    let mut level: Vec<Hash32> = leaves.to_vec();
    let mut i = index as usize;
    for _ in 0..tree_depth(n) {
        siblings.push(level.get(i ^ 1).copied().unwrap_or_else(empty_hash));
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            let right = pair.get(1).copied().unwrap_or_else(empty_hash);
            next.push(node_hash(&pair[0], &right));
        }
        level = next;
        i /= 2;
    }
    Some(MembershipProof { index, leaf_count: n, siblings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash32> {
        (0..n as u64).map(|i| Hash32::digest(b"test-leaf", &i.to_be_bytes())).collect()
    }

    #[test]
    fn small_trees_follow_the_spec() {
        assert_eq!(merkle_root(&[]), empty_hash());
        let l = leaves(3);
        assert_eq!(merkle_root(&l[..1]), l[0]);
        let want = node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &empty_hash()));
        assert_eq!(merkle_root(&l), want);
        // 5 leaves: depth 3; the right half above leaf 4 has an empty subtree of height 1.
        let l5 = leaves(5);
        let right = node_hash(&node_hash(&l5[4], &empty_hash()), &empty_hash());
        let left = node_hash(&node_hash(&l5[0], &l5[1]), &node_hash(&l5[2], &l5[3]));
        assert_eq!(merkle_root(&l5), node_hash(&left, &right));
    }

    #[test]
    fn tampered_proofs_fail() {
        let l = leaves(6);
        let root = merkle_root(&l);
        let p = prove(&l, 4).unwrap();
        p.verify(&l[4], &root).unwrap();
        assert_eq!(p.verify(&l[3], &root), Err(MembershipError::RootMismatch));
        let mut q = p.clone();
        q.siblings[1] = Hash32::ZERO;
        assert_eq!(q.verify(&l[4], &root), Err(MembershipError::RootMismatch));
        let mut q = p.clone();
        q.index = 5;
        assert_eq!(q.verify(&l[4], &root), Err(MembershipError::RootMismatch));
        let mut q = p.clone();
        q.siblings.pop();
        assert!(matches!(q.verify(&l[4], &root), Err(MembershipError::WrongDepth { .. })));
        let mut q = p;
        q.index = 6;
        assert!(matches!(q.verify(&l[4], &root), Err(MembershipError::IndexOutOfRange { .. })));
    }

    proptest! {
        #[test]
        fn every_proof_verifies_and_round_trips(n in 1usize..40, i in 0usize..40) {
            let l = leaves(n);
            let i = i % n;
            let root = merkle_root(&l);
            let p = prove(&l, i as u64).unwrap();
            prop_assert!(p.verify(&l[i], &root).is_ok());
            prop_assert_eq!(MembershipProof::from_canonical_bytes(&p.to_canonical_bytes()).unwrap(), p);
        }
    }
}
