//! The errors a wallet user can act on. Each says what happened and carries the numbers that
//! explain it (the spendable balance, the minimum fee, the height), never key material.

use mcnode_tx::TokenId;
use mcnode_tx::address::{AddressError, Network};
use mcnode_tx::builder::BuildError;

use crate::node_api::NodeError;
use crate::store::StoreError;
use crate::verify::BlockError;

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached, is not serving, is not attested, or refused the
    /// transaction (see [`NodeError`]).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A block the node served failed verification; nothing from it was kept.
    #[error("refused a block from the node: {0}")]
    Block(#[from] BlockError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not enough spendable funds in the token for the amount plus the fee.
    #[error("insufficient funds in token {}: spendable {spendable}, needed {needed} (amount plus fee)", token.0)]
    InsufficientFunds {
        /// The token.
        token: TokenId,
        /// Spendable balance (excludes outputs used by pending transactions).
        spendable: u128,
        /// Amount plus fee.
        needed: u128,
    },
    /// The payment needs more than 16 inputs (the most one transaction may spend).
    #[error("paying {needed} in token {} needs more than 16 inputs; consolidate first", token.0)]
    TooManyInputs {
        /// The token.
        token: TokenId,
        /// Amount plus fee.
        needed: u128,
    },
    /// The fee asked for is below the network's minimum for the token.
    #[error("fee {fee} is below the minimum {minimum} for token {}", token.0)]
    FeeBelowMinimum {
        /// The token.
        token: TokenId,
        /// The fee asked for.
        fee: u64,
        /// The network's minimum.
        minimum: u64,
    },
    /// The network does not accept the token.
    #[error("the network does not accept token {}", token.0)]
    UnknownToken {
        /// The token.
        token: TokenId,
    },
    /// The tombstone block is already reached: the transaction can never be included.
    #[error("tombstone block {tombstone} is not above the ledger height {height}")]
    TombstonePassed {
        /// The tombstone.
        tombstone: u64,
        /// The ledger height.
        height: u64,
    },
    /// The address does not parse (typo: checksum, characters, length).
    #[error("invalid address: {0}")]
    InvalidAddress(#[from] AddressError),
    /// The address is for another network.
    #[error("address is for the {got:?} network, this wallet is on {expected:?}")]
    WrongNetwork {
        /// The wallet's network.
        expected: Network,
        /// The address's network.
        got: Network,
    },
    /// The ledger holds too few outputs to hide the inputs among decoys.
    #[error("the ledger holds {have} outputs; {needed} are needed for the rings")]
    LedgerTooSmall {
        /// Outputs in the ledger.
        have: u64,
        /// Outputs needed.
        needed: u64,
    },
    /// An output the node served as a decoy is not in the verified ledger.
    #[error("node served output {index} with a membership proof that does not verify")]
    BadOutputProof {
        /// The global index asked for.
        index: u64,
    },
    /// The builder put an output in a ring that was not among the proven outputs (a bug).
    #[error("ring member without a membership proof")]
    MissingRingProof,
    /// The transaction could not be built.
    #[error("building the transaction: {0}")]
    Build(#[from] BuildError),
    /// The wallet has not synced any block yet.
    #[error("the wallet has not synced the ledger yet")]
    NotSynced,
}
