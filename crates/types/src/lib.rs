//! Identifiers, hashes and the canonical byte encoding shared by every mcnode crate.
//!
//! What this crate guarantees:
//! - [`Hash32`] and [`NodeId`] are plain 32-byte values with stable text forms (hex for hashes;
//!   Stellar-style `G...` strkeys or base64 for node ids) that round-trip exactly.
//! - The canonical encoding ([`Encode`] / [`Decode`]) is the one byte form used for hashing and
//!   signing. It is deterministic (one value, one encoding), length-prefixed, big-endian, and its
//!   decoder rejects every malformed or trailing input with a typed [`DecodeError`]; it never
//!   panics and never allocates more than the input could hold. Golden fixtures in
//!   `tests/golden.rs` pin the bytes: changing them is a protocol change.
//! - [`Hash32::digest`] is domain separated: every use names its own tag.

pub mod durable;
mod encoding;
pub mod fuzzing;
mod hash;
mod node_id;
mod strkey;

pub use encoding::{Decode, DecodeError, Encode, MAX_SEQUENCE_LEN, Reader, encode_bytes};
pub use hash::{Hash32, ParseHashError};
pub use node_id::{NodeId, ParseNodeIdError};

/// Index of a consensus slot; slot `n` decides the contents of block `n`.
pub type SlotIndex = u64;
