//! Transaction validation, split as MobileCoin splits it (`mc-transaction-core`
//! `validation::validate`): [`stateless`] checks need only the transaction, the fee
//! configuration and the current height; [`ledger`] checks go through a
//! [`crate::LedgerView`]; [`batch`] validates many transactions at once, sharing range-proof
//! batch verification and spreading work over threads, as block validation does.
//!
//! Every rejection is a [`TxError`] variant that names the rule broken.

pub mod batch;
pub mod ledger;
pub mod stateless;

use std::collections::BTreeMap;

use mcnode_crypto::CompressedPoint;

use crate::membership::MembershipError;
use crate::range::RangeProofError;
use crate::ring::RingError;
use crate::{KeyImage, LedgerViewError, TokenId};

pub use batch::{verify_batch, verify_batch_stateless};
pub use ledger::validate_with_ledger;
pub use stateless::validate_stateless;

/// Minimum fee per token, from configuration (MobileCoin `tokens.json` `minimum_fee`).
/// A token absent from the map cannot be transacted.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FeeConfig {
    minimum_fees: BTreeMap<TokenId, u64>,
}

impl FeeConfig {
    /// From `(token, minimum fee)` pairs.
    pub fn new(fees: impl IntoIterator<Item = (TokenId, u64)>) -> Self {
        FeeConfig { minimum_fees: fees.into_iter().collect() }
    }

    /// The minimum fee of `token`, if the token is configured.
    pub fn minimum_fee(&self, token: TokenId) -> Option<u64> {
        self.minimum_fees.get(&token).copied()
    }
}

/// What stateless validation needs besides the transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationContext {
    /// Configured tokens and their minimum fees.
    pub fees: FeeConfig,
    /// Current ledger height (number of blocks); the transaction is for block `height`.
    pub height: u64,
}

/// Why a transaction is rejected. Each variant names one rule.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// Rule: 1 to 16 inputs.
    #[error("transaction has {count} inputs; allowed 1..=16")]
    InputCount {
        /// Inputs present.
        count: usize,
    },
    /// Rule: 1 to 16 outputs.
    #[error("transaction has {count} outputs; allowed 1..=16")]
    OutputCount {
        /// Outputs present.
        count: usize,
    },
    /// Rule: every ring has exactly 11 members.
    #[error("ring of input {input} has {size} members; required 11")]
    RingSize {
        /// Input index.
        input: usize,
        /// Members present.
        size: usize,
    },
    /// Rule: ring members sorted strictly ascending by target key (so unique).
    #[error("ring of input {input} is not sorted by target key without duplicates")]
    RingNotSorted {
        /// Input index.
        input: usize,
    },
    /// Rule: no ledger output is a member of two rings of one transaction (MobileCoin
    /// `validate_ring_elements_are_unique`): members are compared by target key.
    #[error("ring member {member} of input {input} is also in the ring of input {other_input}")]
    DuplicateRingMember {
        /// Input whose ring repeats the member.
        input: usize,
        /// Position of the repeat in that ring.
        member: usize,
        /// Earlier input whose ring holds it.
        other_input: usize,
    },
    /// Rule: inputs sorted by their rings (`TxIn::ring_order`), so input order leaks nothing.
    #[error("inputs are not sorted by their rings")]
    InputsNotSorted,
    /// Rule: outputs sorted strictly ascending by public key.
    #[error("outputs are not sorted by public key without duplicates")]
    OutputsNotSorted,
    /// Rule: one pseudo-output and one ring signature per input.
    #[error(
        "{inputs} inputs but {pseudo_outputs} pseudo-outputs and {ring_signatures} ring signatures"
    )]
    SignatureCount {
        /// Inputs.
        inputs: usize,
        /// Pseudo-outputs.
        pseudo_outputs: usize,
        /// Ring signatures.
        ring_signatures: usize,
    },
    /// Rule: key images unique within the transaction.
    #[error("key image used twice in the transaction")]
    DuplicateKeyImage {
        /// The repeated key image.
        key_image: KeyImage,
    },
    /// Rule: output target keys unique within the transaction.
    #[error("output target key repeated in the transaction")]
    DuplicateOutputTargetKey {
        /// The repeated key.
        target_key: CompressedPoint,
    },
    /// Rule: every output carries an encrypted memo (of the one fixed size
    /// [`crate::tx_out::ENCRYPTED_MEMO_LEN`]), so change cannot be told from payment.
    #[error("output {output} has no encrypted memo")]
    MissingMemo {
        /// Output index.
        output: usize,
    },
    /// Rule: output keys are valid curve points.
    #[error("output {output} has a key that is not a valid point")]
    InvalidOutputKey {
        /// Output index.
        output: usize,
    },
    /// Rule: valid only while the ledger height is below the tombstone block.
    #[error("tombstone block {tombstone} reached (height {height})")]
    TombstoneExpired {
        /// The tombstone.
        tombstone: u64,
        /// Current height.
        height: u64,
    },
    /// Rule: the tombstone is at most 20,160 blocks above the height.
    #[error("tombstone block {tombstone} is more than {max} blocks past height {height}")]
    TombstoneTooFar {
        /// The tombstone.
        tombstone: u64,
        /// Current height.
        height: u64,
        /// The limit.
        max: u64,
    },
    /// Rule: the token is configured.
    #[error("token {token:?} is not configured")]
    UnknownToken {
        /// The token.
        token: TokenId,
    },
    /// Rule: fee at least the token's configured minimum.
    #[error("fee {fee} below the minimum {minimum}")]
    FeeTooLow {
        /// Fee paid.
        fee: u64,
        /// Minimum for the token.
        minimum: u64,
    },
    /// Rule: pseudo-outputs are valid points.
    #[error("pseudo-output {input} is not a valid point")]
    InvalidPseudoOutput {
        /// Input index.
        input: usize,
    },
    /// Rule: Σ pseudo-outputs = Σ outputs + fee·H_t (no money created or destroyed).
    #[error("pseudo-outputs do not balance outputs plus fee")]
    Unbalanced,
    /// Rule: each ring signature verifies (ownership, key image, amount equality).
    #[error("ring signature of input {input} is invalid: {source}")]
    RingSignature {
        /// Input index.
        input: usize,
        /// Why.
        source: RingError,
    },
    /// Rule: the range proof over the outputs verifies.
    #[error("range proof invalid: {0}")]
    RangeProof(#[from] RangeProofError),
    /// Rule (ledger): every ring member is a ledger output.
    #[error("ring member {member} of input {input} is not in the ledger")]
    RingMemberNotInLedger {
        /// Input index.
        input: usize,
        /// Member index in the ring.
        member: usize,
    },
    /// Rule (ledger): ring members' membership proofs verify against one root.
    #[error("membership proof of ring member {member} of input {input}: {source}")]
    MembershipProof {
        /// Input index.
        input: usize,
        /// Member index in the ring.
        member: usize,
        /// Why.
        source: MembershipError,
    },
    /// Rule (ledger): key images not already spent.
    #[error("key image already spent")]
    KeyImageSpent {
        /// The spent key image.
        key_image: KeyImage,
    },
    /// Rule (ledger): output public keys not already in the ledger.
    #[error("output public key already in the ledger")]
    OutputAlreadyInLedger {
        /// The existing key.
        public_key: CompressedPoint,
    },
    /// Rule (batch/block): a key image is spent by only one transaction of a block.
    #[error("key image also spent by transaction {other} of the batch")]
    KeyImageInBatch {
        /// Index of the earlier transaction with the same key image.
        other: usize,
    },
    /// Rule (batch/block): an output public key appears in only one transaction of a block.
    #[error("output public key also created by transaction {other} of the batch")]
    OutputKeyInBatch {
        /// Index of the earlier transaction with the same output public key.
        other: usize,
    },
    /// The ledger could not answer (not a verdict on the transaction).
    #[error("ledger read failed")]
    Ledger(#[from] LedgerViewError),
}
