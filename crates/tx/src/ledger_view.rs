//! What transaction validation needs from the ledger, as a trait the ledger implements.
//!
//! Rules checked through it (MobileCoin `mc-transaction-core` `validation::validate`, the parts
//! that need ledger state): every ring member is an output in the ledger, proven by a
//! membership proof against one Merkle root (see [`crate::membership`]); every key image is
//! unspent; every new output's public key is not already in the ledger.

use mcnode_crypto::CompressedPoint;
use mcnode_types::Hash32;

use crate::{KeyImage, MembershipProof};

/// Why the ledger could not answer (its own failure, not a verdict on the transaction).
#[derive(Debug, thiserror::Error)]
pub enum LedgerViewError {
    /// The storage backend failed.
    #[error("ledger storage failed")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An index the ledger was asked about does not exist.
    #[error("output index {index} is not in the ledger")]
    NoSuchOutput {
        /// The index asked for.
        index: u64,
    },
}

/// Read access to the ledger for validation. Implemented by `mcnode-ledger` (and test fakes).
///
/// Answers must be consistent with one ledger state: `membership_proof` proofs are against
/// `merkle_root()` over `num_outputs()` leaves.
pub trait LedgerView {
    /// Number of outputs in the ledger (the Merkle tree's leaf count).
    fn num_outputs(&self) -> Result<u64, LedgerViewError>;
    /// The Merkle root over all `num_outputs()` outputs.
    fn merkle_root(&self) -> Result<Hash32, LedgerViewError>;
    /// Global index of the output whose `TxOut::public_key()` is `public_key`, if present.
    fn output_index(&self, public_key: &CompressedPoint) -> Result<Option<u64>, LedgerViewError>;
    /// Membership proof of output `index` against the current root.
    fn membership_proof(&self, index: u64) -> Result<MembershipProof, LedgerViewError>;
    /// Whether `key_image` has been spent in a block.
    fn contains_key_image(&self, key_image: &KeyImage) -> Result<bool, LedgerViewError>;
}
