//! Confidential transactions for mcnode, in the style of MobileCoin (CryptoNote one-time keys +
//! RingCT): nobody but sender and recipient learns amounts or who paid whom, while every
//! validator can check that no money is created and nothing is spent twice.
//!
//! Modules, each documenting the rule it enforces and where the rule comes from:
//! - [`account`]: view/spend keys, subaddresses; [`address`]: the text form people copy.
//! - [`amount`]: token ids, per-token Pedersen generators, commitments.
//! - [`tx_out`]: one-time outputs, masked amounts, encrypted memos, scanning.
//! - [`key_image`]: double-spend tags.
//! - [`ledger_view`]: the `LedgerView` trait validation reads the ledger through.
//! - [`membership`]: the Merkle tree of ledger outputs and membership proofs (one definition
//!   shared with the ledger).
//!
//! What it guarantees: every decoder rejects malformed input with a typed error and never
//! panics; encodings are canonical (one value, one encoding); nothing reads the clock or the OS
//! RNG (randomness and ledger height are arguments).

pub mod account;
pub mod address;
pub mod amount;
pub mod builder;
pub mod fuzzing;
pub mod key_image;
pub mod ledger_view;
pub mod membership;
pub mod range;
pub mod ring;
pub mod testkit;
pub mod tx;
pub mod tx_out;
pub mod validation;

pub use account::{AccountKey, PublicAddress};
pub use amount::{Amount, CompressedCommitment, TokenId};
pub use key_image::KeyImage;
pub use ledger_view::{LedgerView, LedgerViewError};
pub use mcnode_crypto::CompressedPoint;
pub use membership::{MembershipError, MembershipProof};
pub use tx_out::{EncryptedMemo, MaskedAmount, OwnedOutput, TxOut, TxOutError};
