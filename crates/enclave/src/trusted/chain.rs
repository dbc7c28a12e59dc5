//! The chain the enclave extends (issue 10 item 2): the header of the last block it formed or
//! accepted (its id, index, output count and output-tree root), and the checks that tie host
//! data to it.
//!
//! - `Init` may name the tip: TRUST ON FIRST USE, only its id is checked against its fields.
//! - [`next_tip`]: a block shown after the tip (catch-up) must link to it: parent id, index + 1,
//!   version, contents hash, output count, output-tree root recomputed from the tip's frontier
//!   and the block's outputs, id; and carry a signature that verifies by this enclave's own key
//!   or an attested peer enclave's. With no tip, only an origin block (index 0, no parent) is
//!   accepted, checked the same way but unsigned (again trust on first use).
//! - [`prefix_root`]: the root of the tree of the first `L` outputs, derived from a proof in the
//!   tip's tree (`crate::host_types::PrefixProof`), so that ring proofs made against an older
//!   ledger size are checked against the tip's one root.
//!
//! Tree rules: `mcnode_tx::membership` (perfect tree of depth `tree_depth(n)`; a subtree with no
//! leaf below `n` hashes to `empty_hash()` at every height).

use mcnode_ledger::block::BLOCK_VERSION;
use mcnode_ledger::{Block, BlockData, BlockId};
use mcnode_tx::TxOut;
use mcnode_tx::membership::{empty_hash, node_hash, tree_depth};
use mcnode_types::{Hash32, NodeId};

use super::form::root_after;
use crate::host_types::{Frontier, PrefixProof};
use crate::refusal::{ChainFailure, EnclaveError};

fn fail(f: ChainFailure) -> EnclaveError {
    EnclaveError::Chain(f)
}

/// A header whose id is the hash of its fields and whose version is ours.
pub fn check_header(b: &Block) -> Result<(), EnclaveError> {
    if b.version != BLOCK_VERSION {
        return Err(fail(ChainFailure::Version));
    }
    if b.compute_id() != b.id {
        return Err(fail(ChainFailure::HeaderId));
    }
    Ok(())
}

/// Checks that `shown` extends `tip` (or is an origin block when `tip` is `None`) and returns
/// its header, the new tip. `known_signer` says whether a block-signing key is this enclave's
/// or an attested peer enclave's.
pub fn next_tip(
    tip: Option<&Block>,
    shown: &BlockData,
    frontier: Option<&Frontier>,
    known_signer: impl Fn(&NodeId) -> bool,
) -> Result<Block, EnclaveError> {
    let b = &shown.block;
    check_header(b)?;
    let (parent_id, index, before, before_root) = match tip {
        Some(t) => (t.id, t.index.checked_add(1), t.cumulative_txo_count, t.root_element),
        None => (BlockId::default(), Some(0), 0, empty_hash()),
    };
    if b.parent_id != parent_id {
        return Err(fail(ChainFailure::ParentLink));
    }
    if Some(b.index) != index {
        return Err(fail(ChainFailure::Index));
    }
    if b.contents_hash != shown.contents.hash() {
        return Err(fail(ChainFailure::ContentsHash));
    }
    let added = shown.contents.outputs.len() as u64;
    if before.checked_add(added) != Some(b.cumulative_txo_count) {
        return Err(fail(ChainFailure::OutputCount));
    }
    let leaves: Vec<Hash32> = shown.contents.outputs.iter().map(TxOut::leaf_hash).collect();
    if root_after(before, &before_root, frontier, &leaves)? != b.root_element {
        return Err(fail(ChainFailure::Root));
    }
    if tip.is_some()
        && !shown.signatures.iter().any(|s| known_signer(&s.signer) && s.verify(&b.id).is_ok())
    {
        return Err(fail(ChainFailure::Unsigned));
    }
    Ok(*b)
}

/// Verifies `p` against `parent`'s tree and returns `(L, root of the first L outputs)`, where
/// `L = p.proof.index + 1`.
pub fn prefix_root(parent: &Block, p: &PrefixProof) -> Result<(u64, Hash32), EnclaveError> {
    if p.proof.leaf_count != parent.cumulative_txo_count {
        return Err(EnclaveError::BadFrontier);
    }
    p.proof.verify(&p.last_leaf, &parent.root_element).map_err(|_| EnclaveError::BadFrontier)?;
    let last = p.proof.index;
    let size = last.checked_add(1).ok_or(EnclaveError::BadFrontier)?;
    let mut acc = p.last_leaf;
    for h in 0..tree_depth(size) {
        // Left siblings cover complete subtrees of outputs below `last`, the same in both trees;
        // right siblings cover only outputs at or above `size`: empty in the smaller tree.
        acc = if (last >> h) & 1 == 1 {
            let sib = p.proof.siblings.get(h as usize).ok_or(EnclaveError::BadFrontier)?;
            node_hash(sib, &acc)
        } else {
            node_hash(&acc, &empty_hash())
        };
    }
    Ok((size, acc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_ledger::BlockContents;
    use mcnode_tx::membership::{merkle_root, prove};

    fn leaves(n: u64) -> Vec<Hash32> {
        salted(n, b"leaf")
    }

    fn salted(n: u64, salt: &[u8]) -> Vec<Hash32> {
        (0..n).map(|i| Hash32::digest(salt, &i.to_be_bytes())).collect()
    }

    fn parent(l: &[Hash32]) -> Block {
        let mut b =
            Block::new(BLOCK_VERSION, None, merkle_root(l), &BlockContents::new(vec![], vec![]));
        b.cumulative_txo_count = l.len() as u64;
        b
    }

    #[test]
    fn prefix_root_is_the_root_of_every_prefix() {
        for n in 1..40u64 {
            let all = leaves(n);
            for size in 1..=n {
                let p = PrefixProof {
                    last_leaf: all[(size - 1) as usize],
                    proof: prove(&all, size - 1).unwrap(),
                };
                let got = prefix_root(&parent(&all), &p).unwrap();
                assert_eq!(got, (size, merkle_root(&all[..size as usize])), "n={n} size={size}");
            }
        }
    }

    #[test]
    fn prefix_proofs_of_another_tree_or_size_are_refused() {
        let all = leaves(9);
        let other = salted(10, b"other");
        let p = PrefixProof { last_leaf: other[4], proof: prove(&other[..9], 4).unwrap() };
        assert_eq!(prefix_root(&parent(&all), &p), Err(EnclaveError::BadFrontier));
        let q = PrefixProof { last_leaf: all[4], proof: prove(&leaves(10), 4).unwrap() };
        assert_eq!(prefix_root(&parent(&all), &q), Err(EnclaveError::BadFrontier), "other size");
    }
}
