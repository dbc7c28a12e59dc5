//! Ristretto secret scalars and compressed points.

use std::fmt;

use curve25519_dalek::{
    constants::RISTRETTO_BASEPOINT_TABLE,
    ristretto::{CompressedRistretto, RistrettoPoint},
    scalar::Scalar,
};
use mcnode_types::{Decode, DecodeError, Encode, Reader};
use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;

/// A secret Ristretto scalar (a private key, a blinding factor, a one-time key).
///
/// Zeroized on drop, compared in constant time, redacted in `Debug`. Not `Copy`, not `Display`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RistrettoPrivate(Scalar);

impl RistrettoPrivate {
    /// A uniformly random secret from `rng`.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        RistrettoPrivate(Scalar::random(rng))
    }

    /// Wraps a scalar (the caller hands over the secret).
    pub fn from_scalar(s: Scalar) -> Self {
        RistrettoPrivate(s)
    }

    /// Parses a canonical 32-byte little-endian scalar.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CryptoError> {
        Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes))
            .map(RistrettoPrivate)
            .ok_or(CryptoError::InvalidScalar)
    }

    /// The secret bytes (for key files; handle with care).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The secret scalar.
    pub fn scalar(&self) -> &Scalar {
        &self.0
    }

    /// The public point `self · G` (G = Ristretto basepoint).
    pub fn public(&self) -> RistrettoPoint {
        RISTRETTO_BASEPOINT_TABLE * &self.0
    }
}

impl ConstantTimeEq for RistrettoPrivate {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for RistrettoPrivate {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for RistrettoPrivate {}

impl fmt::Debug for RistrettoPrivate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RistrettoPrivate(<redacted>)")
    }
}

/// The canonical 32-byte encoding of a Ristretto point, kept compressed.
///
/// Decoding from bytes only checks the length: whether the bytes are a valid point is checked
/// by [`CompressedPoint::decompress`], where a validator needs the point anyway. Ordering is by
/// bytes, which is what "sorted" means for keys everywhere in mcnode.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CompressedPoint(pub [u8; 32]);

impl CompressedPoint {
    /// Compresses a point.
    pub fn from_point(p: &RistrettoPoint) -> Self {
        CompressedPoint(p.compress().to_bytes())
    }

    /// The point, or [`CryptoError::InvalidPoint`] if the bytes are not a canonical encoding.
    pub fn decompress(&self) -> Result<RistrettoPoint, CryptoError> {
        CompressedRistretto(self.0).decompress().ok_or(CryptoError::InvalidPoint)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// As dalek's compressed type.
    pub fn to_dalek(&self) -> CompressedRistretto {
        CompressedRistretto(self.0)
    }
}

impl From<&RistrettoPoint> for CompressedPoint {
    fn from(p: &RistrettoPoint) -> Self {
        CompressedPoint::from_point(p)
    }
}

impl fmt::Debug for CompressedPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CompressedPoint(")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

impl Encode for CompressedPoint {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Decode for CompressedPoint {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CompressedPoint(r.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn private_is_redacted_and_round_trips() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let k = RistrettoPrivate::random(&mut rng);
        assert_eq!(format!("{k:?}"), "RistrettoPrivate(<redacted>)");
        assert_eq!(RistrettoPrivate::from_bytes(&k.to_bytes()).unwrap(), k);
        assert_eq!(RistrettoPrivate::from_bytes(&[0xff; 32]), Err(CryptoError::InvalidScalar));
    }

    #[test]
    fn compressed_point_decompress_checks_validity() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let p = RistrettoPrivate::random(&mut rng).public();
        let c = CompressedPoint::from_point(&p);
        assert_eq!(c.decompress().unwrap(), p);
        assert_eq!(CompressedPoint([0xff; 32]).decompress(), Err(CryptoError::InvalidPoint));
        assert_eq!(CompressedPoint::from_canonical_bytes(&c.0).unwrap(), c);
    }
}
