//! Every domain tag used for hashing in mcnode's transaction cryptography, in one place.
//!
//! A tag is used for exactly one purpose. Changing any tag is a protocol change: golden vectors
//! in `mcnode-tx` pin their effect.

/// Hash-to-point of a one-time public key, the base of its key image (`I = x · Hp(P)`).
pub const KEY_IMAGE_BASE: &[u8] = b"mcnode-key-image-base-v1";
/// Hash-to-point of a token id: the Pedersen value generator of that token.
pub const TOKEN_GENERATOR: &[u8] = b"mcnode-token-generator-v1";
/// Hash-to-scalar deriving a subaddress's spend-key offset from the view key and index.
pub const SUBADDRESS: &[u8] = b"mcnode-subaddress-v1";
/// Hash-to-scalar of the shared secret giving the one-time key offset of an output.
pub const ONETIME_KEY: &[u8] = b"mcnode-onetime-key-v1";
/// Hash of the shared secret giving the mask of an output's value.
pub const AMOUNT_VALUE_MASK: &[u8] = b"mcnode-amount-value-mask-v1";
/// Hash of the shared secret giving the mask of an output's token id.
pub const AMOUNT_TOKEN_MASK: &[u8] = b"mcnode-amount-token-mask-v1";
/// Hash-to-scalar of the shared secret giving an output commitment's blinding factor.
pub const AMOUNT_BLINDING: &[u8] = b"mcnode-amount-blinding-v1";
/// Hash of the shared secret giving the memo keystream.
pub const MEMO_KEYSTREAM: &[u8] = b"mcnode-memo-keystream-v1";
/// CLSAG aggregation coefficient for the key column.
pub const CLSAG_AGG_KEY: &[u8] = b"mcnode-clsag-agg-key-v1";
/// CLSAG aggregation coefficient for the commitment column.
pub const CLSAG_AGG_COMMITMENT: &[u8] = b"mcnode-clsag-agg-commitment-v1";
/// CLSAG round challenge.
pub const CLSAG_ROUND: &[u8] = b"mcnode-clsag-round-v1";
/// MLSAG round challenge (the measured alternative to CLSAG).
pub const MLSAG_ROUND: &[u8] = b"mcnode-mlsag-round-v1";
/// Transcript label of the aggregated range proof of a transaction's outputs.
pub const RANGE_PROOF_TRANSCRIPT: &[u8] = b"mcnode-range-proof-v1";
