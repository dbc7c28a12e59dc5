//! The durable mcnode ledger: the chain of blocks, their signatures, every output with its
//! global index, every spent key image, and the Merkle tree of all outputs with membership
//! proofs against the root at any past height.
//!
//! What it guarantees:
//! - [`Ledger::append_block`] validates a block completely before writing it (see [`store`] for
//!   the rules) and writes all of it in one transaction. With [`LmdbLedger`] that transaction is
//!   durable when `append_block` returns (LMDB fsyncs on commit), and after a crash at any point
//!   the ledger is exactly a prefix of the blocks appended (LMDB's copy-on-write pages: no
//!   recovery pass, no torn block). A crash test kills a writer with SIGKILL to check it.
//! - Reads are served from one consistent snapshot each.
//! - [`Ledger::verify`] recomputes every id, parent link, contents hash, Merkle root and stored
//!   tree node, and checks every index table against the blocks: a ledger that passes is sound.
//! - Only one process opens a ledger at a time (a lock file); a database of another schema
//!   version is refused with a clear error.
//! - A rolled-back database (e.g. LMDB opening an older commit after a damaged meta page) is
//!   refused at open: [`LmdbLedger`] keeps an independent, checksummed record of its highest
//!   acknowledged block ([`lmdb::ack`]), written after each durable commit.
//! - Every decoder of stored data returns a typed error, never panics (fuzzed).
//!
//! Backends: [`LmdbLedger`] (heed 0.23 / LMDB, chosen by measurement, see DESIGN.md) and
//! [`MemoryLedger`] (tests, simulations). Both share the validation and proof logic in
//! [`store`] and [`merkle`].

pub mod block;
pub mod error;
#[cfg(any(test, feature = "testkit"))]
pub mod fuzzing;
pub mod lmdb;
pub mod memory;
pub mod merkle;
pub mod origin;
pub mod store;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod verify;

pub use block::{Block, BlockContents, BlockData, BlockId, BlockSignature, StoredBlock};
pub use error::{AppendError, LedgerError, OpenError};
pub use lmdb::LmdbLedger;
pub use memory::MemoryLedger;
pub use verify::{VerifyError, VerifyReport};

use mcnode_crypto::CompressedPoint;
use mcnode_tx::{KeyImage, MembershipProof, TxOut};
use mcnode_types::Hash32;

use store::StoreRead;

/// The ledger: append validated blocks, read blocks, outputs, key images and proofs.
///
/// Every read method opens one snapshot; to combine several reads consistently, use
/// [`Ledger::snapshot`] and the functions of [`store`].
pub trait Ledger {
    /// A consistent read snapshot.
    fn snapshot(&self) -> Result<Box<dyn StoreRead + Send + '_>, LedgerError>;

    /// Validates `block` and appends it atomically (see [`store`] for the rules).
    fn append_block(&mut self, block: &BlockData) -> Result<(), LedgerError>;

    /// Number of blocks (the height of the next block).
    fn num_blocks(&self) -> Result<u64, LedgerError> {
        self.snapshot()?.num_blocks()
    }

    /// The last block's header.
    fn last_block(&self) -> Result<Option<Block>, LedgerError> {
        store::last_block(&*self.snapshot()?)
    }

    /// Block `index` with contents and signatures.
    fn block(&self, index: u64) -> Result<Option<BlockData>, LedgerError> {
        store::block_data(&*self.snapshot()?, index)
    }

    /// The header of block `index`.
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
        self.snapshot()?.block_header(index)
    }

    /// The block with id `id`.
    fn block_by_id(&self, id: &BlockId) -> Result<Option<BlockData>, LedgerError> {
        let snap = self.snapshot()?;
        match snap.block_index(id)? {
            Some(i) => store::block_data(&*snap, i),
            None => Ok(None),
        }
    }

    /// Up to `count` blocks starting at `from`.
    fn blocks(&self, from: u64, count: u64) -> Result<Vec<BlockData>, LedgerError> {
        let snap = self.snapshot()?;
        let end = snap.num_blocks()?.min(from.saturating_add(count));
        (from..end)
            .map(|i| {
                store::block_data(&*snap, i)?.ok_or(LedgerError::Corrupt {
                    what: "block",
                    key: i,
                    source: None,
                })
            })
            .collect()
    }

    /// Number of outputs.
    fn num_outputs(&self) -> Result<u64, LedgerError> {
        store::num_outputs(&*self.snapshot()?)
    }

    /// Number of spent key images.
    fn num_key_images(&self) -> Result<u64, LedgerError> {
        self.snapshot()?.num_key_images()
    }

    /// Output by global index.
    fn output(&self, index: u64) -> Result<Option<TxOut>, LedgerError> {
        self.snapshot()?.output(index)
    }

    /// Up to `count` outputs starting at global index `from`.
    fn outputs(&self, from: u64, count: u64) -> Result<Vec<TxOut>, LedgerError> {
        let snap = self.snapshot()?;
        let end = store::num_outputs(&*snap)?.min(from.saturating_add(count));
        store::outputs_range(&*snap, from.min(end), end)
    }

    /// Global index of the output with public key `public_key`.
    fn output_index(&self, public_key: &CompressedPoint) -> Result<Option<u64>, LedgerError> {
        self.snapshot()?.output_index(public_key)
    }

    /// The block that spent `key_image`, if any.
    fn key_image_block(&self, key_image: &KeyImage) -> Result<Option<u64>, LedgerError> {
        self.snapshot()?.key_image_block(key_image)
    }

    /// The Merkle root over the first `leaf_count` outputs (any past tree size).
    fn merkle_root_at(&self, leaf_count: u64) -> Result<Hash32, LedgerError> {
        let snap = self.snapshot()?;
        let have = store::num_outputs(&*snap)?;
        if leaf_count > have {
            return Err(LedgerError::NoSuchTreeSize { asked: leaf_count, have });
        }
        merkle::root(&*snap, leaf_count)
    }

    /// A membership proof for output `index` against the root over the first `leaf_count`
    /// outputs (e.g. a past block's `cumulative_txo_count`, whose root is its `root_element`).
    fn membership_proof_at(
        &self,
        index: u64,
        leaf_count: u64,
    ) -> Result<MembershipProof, LedgerError> {
        store::proof_at(&*self.snapshot()?, index, leaf_count)
    }

    /// A membership proof for output `index` against the current root.
    fn membership_proof(&self, index: u64) -> Result<MembershipProof, LedgerError> {
        let snap = self.snapshot()?;
        let n = store::num_outputs(&*snap)?;
        store::proof_at(&*snap, index, n)
    }

    /// The header a block with `contents` would get if appended next (computes the Merkle
    /// root after its outputs). The block former uses it; signing comes after.
    fn next_block(&self, contents: &BlockContents) -> Result<Block, LedgerError> {
        store::next_block(&*self.snapshot()?, block::BLOCK_VERSION, contents)
    }

    /// Recomputes and cross-checks everything (see [`verify`]).
    fn verify(&self) -> Result<VerifyReport, VerifyError> {
        verify::verify(&*self.snapshot().map_err(VerifyError::Storage)?)
    }
}

/// Implements `mcnode_tx::LedgerView` for a [`Ledger`] (the orphan rule forbids a blanket impl).
macro_rules! impl_ledger_view {
    ($t:ty) => {
        impl mcnode_tx::LedgerView for $t {
            fn num_outputs(&self) -> Result<u64, mcnode_tx::LedgerViewError> {
                $crate::Ledger::num_outputs(self).map_err($crate::to_view_error)
            }
            fn merkle_root(&self) -> Result<mcnode_types::Hash32, mcnode_tx::LedgerViewError> {
                let snap = $crate::Ledger::snapshot(self).map_err($crate::to_view_error)?;
                let n = $crate::store::num_outputs(&*snap).map_err($crate::to_view_error)?;
                $crate::merkle::root(&*snap, n).map_err($crate::to_view_error)
            }
            fn output_index(
                &self,
                public_key: &mcnode_crypto::CompressedPoint,
            ) -> Result<Option<u64>, mcnode_tx::LedgerViewError> {
                $crate::Ledger::output_index(self, public_key).map_err($crate::to_view_error)
            }
            fn membership_proof(
                &self,
                index: u64,
            ) -> Result<mcnode_tx::MembershipProof, mcnode_tx::LedgerViewError> {
                $crate::Ledger::membership_proof(self, index).map_err($crate::to_view_error)
            }
            fn contains_key_image(
                &self,
                key_image: &mcnode_tx::KeyImage,
            ) -> Result<bool, mcnode_tx::LedgerViewError> {
                $crate::Ledger::key_image_block(self, key_image)
                    .map(|b| b.is_some())
                    .map_err($crate::to_view_error)
            }
        }
    };
}
pub(crate) use impl_ledger_view;

#[doc(hidden)]
pub fn to_view_error(e: LedgerError) -> mcnode_tx::LedgerViewError {
    match e {
        LedgerError::NoSuchOutput { index, .. } => {
            mcnode_tx::LedgerViewError::NoSuchOutput { index }
        }
        other => mcnode_tx::LedgerViewError::Storage(Box::new(other)),
    }
}

#[cfg(test)]
mod tests {
    /// The node shares a ledger between its consensus worker and its services.
    #[test]
    fn ledgers_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<crate::LmdbLedger>();
        check::<crate::MemoryLedger>();
    }
}
