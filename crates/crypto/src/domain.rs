//! Every domain tag used for hashing in mcnode's transaction cryptography, in one place.
//!
//! A tag is used for exactly one purpose. Changing any tag is a protocol change: golden vectors
//! in `mcnode-tx` pin their effect. Every tag is a [`DomainTag`], so one longer than the
//! hash encoding's length byte allows does not compile.

use crate::DomainTag;

/// Hash-to-point of a one-time public key, the base of its key image (`I = x · Hp(P)`).
pub const KEY_IMAGE_BASE: DomainTag<'static> = DomainTag::new(b"mcnode-key-image-base-v1");
/// Hash-to-point of a token id: the Pedersen value generator of that token.
pub const TOKEN_GENERATOR: DomainTag<'static> = DomainTag::new(b"mcnode-token-generator-v1");
/// Hash-to-scalar deriving a subaddress's spend-key offset from the view key and index.
pub const SUBADDRESS: DomainTag<'static> = DomainTag::new(b"mcnode-subaddress-v1");
/// Hash-to-scalar of the shared secret giving the one-time key offset of an output.
pub const ONETIME_KEY: DomainTag<'static> = DomainTag::new(b"mcnode-onetime-key-v1");
/// Hash of the shared secret giving the mask of an output's value.
pub const AMOUNT_VALUE_MASK: DomainTag<'static> = DomainTag::new(b"mcnode-amount-value-mask-v1");
/// Hash of the shared secret giving the mask of an output's token id.
pub const AMOUNT_TOKEN_MASK: DomainTag<'static> = DomainTag::new(b"mcnode-amount-token-mask-v1");
/// Hash-to-scalar of the shared secret giving an output commitment's blinding factor.
pub const AMOUNT_BLINDING: DomainTag<'static> = DomainTag::new(b"mcnode-amount-blinding-v1");
/// Hash of the shared secret giving the memo keystream.
pub const MEMO_KEYSTREAM: DomainTag<'static> = DomainTag::new(b"mcnode-memo-keystream-v1");
/// CLSAG aggregation coefficient for the key column.
pub const CLSAG_AGG_KEY: DomainTag<'static> = DomainTag::new(b"mcnode-clsag-agg-key-v1");
/// CLSAG aggregation coefficient for the commitment column.
pub const CLSAG_AGG_COMMITMENT: DomainTag<'static> =
    DomainTag::new(b"mcnode-clsag-agg-commitment-v1");
/// CLSAG round challenge.
pub const CLSAG_ROUND: DomainTag<'static> = DomainTag::new(b"mcnode-clsag-round-v1");
/// MLSAG round challenge (the measured alternative to CLSAG).
pub const MLSAG_ROUND: DomainTag<'static> = DomainTag::new(b"mcnode-mlsag-round-v1");
/// Transcript label of the aggregated range proof of a transaction's outputs.
pub const RANGE_PROOF_TRANSCRIPT: DomainTag<'static> = DomainTag::new(b"mcnode-range-proof-v1");

/// Every tag above (a test checks that no two are equal).
pub const ALL: &[DomainTag<'static>] = &[
    KEY_IMAGE_BASE,
    TOKEN_GENERATOR,
    SUBADDRESS,
    ONETIME_KEY,
    AMOUNT_VALUE_MASK,
    AMOUNT_TOKEN_MASK,
    AMOUNT_BLINDING,
    MEMO_KEYSTREAM,
    CLSAG_AGG_KEY,
    CLSAG_AGG_COMMITMENT,
    CLSAG_ROUND,
    MLSAG_ROUND,
    RANGE_PROOF_TRANSCRIPT,
];
