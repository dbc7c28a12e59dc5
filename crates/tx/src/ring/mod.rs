//! Linkable ring signatures with a commitment column: CLSAG (used by [`crate::Tx`]) and a
//! two-column MLSAG (MobileCoin's `RingMLSAG`, kept as the measured alternative).
//!
//! What a ring signature over ring `{(P_i, C_i)}` with pseudo-output `C'` proves, without
//! revealing which `i = π` is real (Goodell, Noether, RandomRun, "Concise Linkable Ring
//! Signatures and Forgery Against Adversarial Keys", IACR ePrint 2019/654, §3; MobileCoin
//! `mc-crypto-ring-signature`):
//! 1. the signer knows `p` with `P_π = p·G` (it owns one ring member);
//! 2. the key image is `I = p·Hp(P_π)` (so spending the same output twice gives the same `I`);
//! 3. `C_π − C' = z·G` for a known `z`: the pseudo-output commits to the same value and token
//!    as the real input, only re-blinded, so inputs can be balanced against outputs.
//!
//! Choice: CLSAG. Measured with `mcnode bench tx` on this machine (see BENCHMARKS.md): CLSAG
//! verifies a ring of 11 faster than the two-column MLSAG and its signature is smaller
//! (`32·(n+1) + 64` bytes = 448 B vs `32·(2n+1) + 32` = 768 B for MLSAG at n = 11), with the same
//! security argument under the aggregated key `μ_P·P_i + μ_C·(C_i − C')`.

pub mod clsag;
pub mod mlsag;

use curve25519_dalek::{RistrettoPoint, Scalar};
use mcnode_crypto::CompressedPoint;
use mcnode_types::{Decode, DecodeError, Encode, Reader};

use crate::{CompressedCommitment, TxOut};

pub use clsag::Clsag;
pub use mlsag::Mlsag;

/// Number of members in every ring of a transaction (MobileCoin's `RING_SIZE`).
pub const RING_SIZE: usize = 11;

/// One ring member as the ring signature sees it: an output's one-time key and commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingMember {
    /// One-time target key `P_i`.
    pub target_key: CompressedPoint,
    /// Amount commitment `C_i`.
    pub commitment: CompressedCommitment,
}

impl From<&TxOut> for RingMember {
    fn from(o: &TxOut) -> Self {
        RingMember { target_key: o.target_key, commitment: o.masked_amount.commitment }
    }
}

/// A scalar as 32 bytes on the wire; canonicity is checked where it is used.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CurveScalar(pub [u8; 32]);

impl std::fmt::Debug for CurveScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CurveScalar({:02x}{:02x}..)", self.0[0], self.0[1])
    }
}

impl CurveScalar {
    /// From a scalar.
    pub fn from_scalar(s: &Scalar) -> Self {
        CurveScalar(s.to_bytes())
    }

    /// The scalar, or [`RingError::NonCanonicalScalar`] if the bytes are not reduced mod ℓ
    /// (accepting unreduced scalars would make signatures malleable).
    pub fn to_scalar(&self) -> Result<Scalar, RingError> {
        Option::<Scalar>::from(Scalar::from_canonical_bytes(self.0))
            .ok_or(RingError::NonCanonicalScalar)
    }
}

impl Encode for CurveScalar {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Decode for CurveScalar {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CurveScalar(r.array()?))
    }
}

/// Why a ring signature could not be made or does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RingError {
    /// The ring has no members.
    #[error("empty ring")]
    EmptyRing,
    /// The signer's index is not in the ring.
    #[error("real index {index} outside ring of {size}")]
    RealIndexOutOfRange {
        /// Given index.
        index: usize,
        /// Ring size.
        size: usize,
    },
    /// The signer's secrets do not open the ring member at the real index.
    #[error("signer's keys do not match the real ring member")]
    SecretMismatch,
    /// The number of responses does not fit the ring size.
    #[error("signature has {got} responses, the ring needs {expected}")]
    ResponseCount {
        /// Responses required.
        expected: usize,
        /// Responses present.
        got: usize,
    },
    /// A point (ring member, key image, pseudo-output) does not decompress.
    #[error("invalid curve point in {what}")]
    InvalidPoint {
        /// Which point.
        what: &'static str,
    },
    /// A scalar that is not reduced.
    #[error("non-canonical scalar in signature")]
    NonCanonicalScalar,
    /// The challenge chain does not close: the signature is invalid.
    #[error("ring signature does not verify")]
    Invalid,
}

/// Decompressed ring: `(P_i, C_i − C', Hp(P_i))` for each member.
pub(crate) struct PreparedRing {
    pub keys: Vec<RistrettoPoint>,
    pub commitment_diffs: Vec<RistrettoPoint>,
    pub key_image_bases: Vec<RistrettoPoint>,
}

impl PreparedRing {
    pub(crate) fn new(
        ring: &[RingMember],
        pseudo_output: &RistrettoPoint,
    ) -> Result<Self, RingError> {
        let mut keys = Vec::with_capacity(ring.len());
        let mut commitment_diffs = Vec::with_capacity(ring.len());
        let mut key_image_bases = Vec::with_capacity(ring.len());
        for m in ring {
            keys.push(
                m.target_key
                    .decompress()
                    .map_err(|_| RingError::InvalidPoint { what: "ring member key" })?,
            );
            let c = m
                .commitment
                .0
                .decompress()
                .map_err(|_| RingError::InvalidPoint { what: "ring member commitment" })?;
            commitment_diffs.push(c - pseudo_output);
            key_image_bases.push(crate::key_image::key_image_base(&m.target_key));
        }
        Ok(PreparedRing { keys, commitment_diffs, key_image_bases })
    }
}

/// Feeds the ring's compressed points into a hasher (fixed width, so unambiguous).
pub(crate) fn hash_ring(h: &mut mcnode_crypto::DomainHasher, ring: &[RingMember]) {
    for m in ring {
        h.update(m.target_key.as_bytes()).update(m.commitment.as_bytes());
    }
}
