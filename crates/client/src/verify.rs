//! Block verification: what makes the wallet believe a block a node serves.
//!
//! Rules, checked in this order for the block that extends the wallet's verified tip (the same
//! checks a lagging node makes when it catches up from peers, DESIGN.md "catches up by fetching
//! blocks signed by the enclaves of a quorum slice"; MobileCoin's `mc-ledger-sync` verifies
//! blocks it downloads the same way):
//! 1. linkage: `index` is the next height and `parent_id` is the verified tip's id;
//! 2. the contents hash recomputes, the output count adds up, and the id recomputes from the
//!    header fields (so a signature over the id covers contents, parent and Merkle root);
//! 3. signatures: at least `threshold` DISTINCT trusted signers (the attested block-signing keys
//!    of the nodes the wallet trusts) sign the id with valid signatures. Any invalid signature
//!    by a trusted signer refuses the block and names the signer: a node that serves a forged
//!    signature is caught even if enough good ones remain. Signatures by untrusted keys are
//!    ignored (they neither count nor refuse).
//!
//! The origin block (index 0) carries no signatures: it is trusted because its id equals the
//! origin id the wallet is configured with (the network's `origin.json`).

use std::collections::BTreeSet;

use mcnode_ledger::{Block, BlockData, BlockId};
use mcnode_types::NodeId;

/// Why a served block is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The block is not the next one.
    #[error("block {got} served where block {expected} was asked for")]
    WrongIndex {
        /// The height expected.
        expected: u64,
        /// The index the block claims.
        got: u64,
    },
    /// The block does not extend the verified tip.
    #[error("block {index} does not extend the verified chain (parent {got}, tip {expected})")]
    WrongParent {
        /// The block.
        index: u64,
        /// The verified tip's id.
        expected: BlockId,
        /// The parent the block names.
        got: BlockId,
    },
    /// The contents do not hash to the header's contents hash.
    #[error("block {index}: contents do not match the header's contents hash")]
    ContentsHash {
        /// The block.
        index: u64,
    },
    /// The header's output count does not add up.
    #[error("block {index}: cumulative output count {got}, expected {expected}")]
    OutputCount {
        /// The block.
        index: u64,
        /// Parent's count plus this block's outputs.
        expected: u64,
        /// The header's count.
        got: u64,
    },
    /// The header's id is not the hash of its fields.
    #[error("block {index}: id does not match its header")]
    Id {
        /// The block.
        index: u64,
    },
    /// A trusted signer's signature does not verify.
    #[error("block {index}: signature by trusted signer {signer} is INVALID; block refused")]
    BadSignature {
        /// The block.
        index: u64,
        /// The signer named in the bad signature.
        signer: NodeId,
    },
    /// Too few trusted signers signed.
    #[error("block {index}: signed by {got} trusted signers, {needed} needed")]
    TooFewSignatures {
        /// The block.
        index: u64,
        /// Valid signatures by distinct trusted signers.
        got: usize,
        /// The threshold.
        needed: usize,
    },
    /// The origin block is not the configured one.
    #[error("origin block {got} is not the configured origin {expected}")]
    WrongOrigin {
        /// The configured origin id.
        expected: BlockId,
        /// The id served.
        got: BlockId,
    },
}

/// Whom the wallet trusts for blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustPolicy {
    /// The network's origin block id.
    pub origin: BlockId,
    /// Attested block-signing keys of the nodes the wallet trusts.
    pub signers: BTreeSet<NodeId>,
    /// How many distinct trusted signers must sign each block (at least 1).
    pub threshold: usize,
}

impl TrustPolicy {
    /// Trust `signers`, requiring a simple majority of them when several are given
    /// (`n/2 + 1`; one signer when one is given).
    pub fn majority(origin: BlockId, signers: impl IntoIterator<Item = NodeId>) -> Self {
        let signers: BTreeSet<NodeId> = signers.into_iter().collect();
        let threshold = signers.len() / 2 + 1;
        TrustPolicy { origin, signers, threshold }
    }

    /// Checks `data` as the block after `tip` (`None`: the origin block).
    pub fn check(&self, tip: Option<&Block>, data: &BlockData) -> Result<(), BlockError> {
        let b = &data.block;
        let index = b.index;
        let expected_index = tip.map_or(0, |t| t.index + 1);
        if index != expected_index {
            return Err(BlockError::WrongIndex { expected: expected_index, got: index });
        }
        let expected_parent = tip.map_or(BlockId::default(), |t| t.id);
        if b.parent_id != expected_parent {
            return Err(BlockError::WrongParent {
                index,
                expected: expected_parent,
                got: b.parent_id,
            });
        }
        if data.contents.hash() != b.contents_hash {
            return Err(BlockError::ContentsHash { index });
        }
        let expected_count = tip
            .map_or(0, |t| t.cumulative_txo_count)
            .saturating_add(data.contents.outputs.len() as u64);
        if b.cumulative_txo_count != expected_count {
            return Err(BlockError::OutputCount {
                index,
                expected: expected_count,
                got: b.cumulative_txo_count,
            });
        }
        if b.compute_id() != b.id {
            return Err(BlockError::Id { index });
        }
        if tip.is_none() {
            return if b.id == self.origin {
                Ok(())
            } else {
                Err(BlockError::WrongOrigin { expected: self.origin, got: b.id })
            };
        }
        let mut good: BTreeSet<NodeId> = BTreeSet::new();
        for sig in &data.signatures {
            if !self.signers.contains(&sig.signer) {
                continue;
            }
            if sig.verify(&b.id).is_err() {
                return Err(BlockError::BadSignature { index, signer: sig.signer });
            }
            good.insert(sig.signer);
        }
        let needed = self.threshold.max(1);
        if good.len() < needed {
            return Err(BlockError::TooFewSignatures { index, got: good.len(), needed });
        }
        Ok(())
    }
}
