//! Confidential transactions for mcnode, in the style of MobileCoin (CryptoNote one-time keys +
//! RingCT): nobody but sender and recipient learns amounts or who paid whom, while every
//! validator can check that no money is created and nothing is spent twice.
//!
//! Modules, each documenting the rule it enforces and where the rule comes from:
//! - [`account`]: view/spend keys, subaddresses (0 default, 1 change); [`address`]: the text
//!   form people copy (network prefix, Base58, checksum).
//! - [`amount`]: token ids, per-token Pedersen generators, commitments.
//! - [`tx_out`]: one-time outputs, masked amounts and token ids, encrypted memos (one fixed
//!   size, on every output), scanning.
//! - [`key_image`]: double-spend tags.
//! - [`ring`]: CLSAG (used) and two-column MLSAG (measured alternative) ring signatures over
//!   rings of exactly 11.
//! - [`range`]: aggregated Bulletproofs+ range proofs and their batch verification.
//! - [`tx`]: the transaction, its canonical encoding, hash, limits and tombstone.
//! - [`builder`]: building and signing, with decoys from a caller's [`builder::RingSource`].
//! - [`validation`]: stateless rules, ledger rules through [`LedgerView`], and
//!   [`validation::verify_batch`] for blocks.
//! - [`membership`]: the Merkle tree of ledger outputs and membership proofs (one definition
//!   shared with the ledger); [`ledger_view`]: the trait validation reads the ledger through.
//! - `testkit` and `fuzzing` (only with the `testkit` cargo feature, which dev-dependencies,
//!   the fuzz crate and the `mcnode bench` command enable): deterministic fixtures (in-memory
//!   ledger, uniform decoys, funding, `TransactionBuilder::build_tampered`) and fuzz entry
//!   points. They are not part of the production API.
//!
//! Ring signature choice: CLSAG. Measured in the same run by `mcnode bench tx` (BENCHMARKS.md):
//! verifying a ring of 11 takes 0.77-0.83× the time of the two-column MLSAG MobileCoin uses,
//! signing 0.75×, and the signature is 452 bytes instead of 772.
//!
//! What it guarantees: every decoder rejects malformed input with a typed error and never
//! panics; encodings are canonical (one value, one encoding); [`Tx::hash`] digests the whole
//! transaction, so one hash names one transaction (two signings of one prefix differ);
//! validation requires an encrypted memo of one fixed size on every output and refuses a
//! ledger output in two rings of one transaction; every rejected transaction gets a
//! [`validation::TxError`] naming the rule; secrets are redacted in `Debug` and zeroized;
//! nothing reads the clock or the OS RNG (randomness and ledger height are arguments).

pub mod account;
pub mod address;
pub mod amount;
pub mod builder;
#[cfg(feature = "testkit")]
pub mod fuzzing;
pub mod key_image;
pub mod ledger_view;
pub mod membership;
pub mod range;
pub mod ring;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tx;
pub mod tx_out;
pub mod validation;

pub use account::{AccountKey, PublicAddress};
pub use amount::{Amount, CompressedCommitment, TokenId};
pub use key_image::KeyImage;
pub use ledger_view::{LedgerView, LedgerViewError};
pub use mcnode_crypto::CompressedPoint;
pub use mcnode_types::{Decode, DecodeError, Encode};
pub use membership::{MembershipError, MembershipProof};
pub use tx::Tx;
pub use tx_out::{EncryptedMemo, MaskedAmount, OwnedOutput, TxOut, TxOutError};
