//! Domain-separated hashing into scalars and Ristretto points.
//!
//! Construction: `Blake2b-512(len(tag) as u8 ‖ tag ‖ data)`; the 64-byte digest is reduced mod ℓ
//! for a scalar (`Scalar::from_bytes_mod_order_wide`) or mapped with the Ristretto
//! hash-to-group map (`RistrettoPoint::from_uniform_bytes`, two Elligator evaluations) for a
//! point. Callers that hash several values feed fixed-width fields (32-byte points, big-endian
//! integers) so that concatenation is unambiguous.
//!
//! The one-byte length prefix is what makes the tag and the data unambiguous, so a tag must fit
//! it: a [`DomainTag`] holds at most [`MAX_DOMAIN_TAG_LEN`] bytes. Constant tags are checked at
//! compile time ([`DomainTag::new`]); a tag built at run time goes through
//! [`DomainTag::try_new`], which refuses a longer one with [`CryptoError::DomainTagTooLong`]
//! instead of cutting its length byte (which would let `tag ‖ data` splits collide).

use blake2::{Blake2b512, Digest};
use curve25519_dalek::{ristretto::RistrettoPoint, scalar::Scalar};

use crate::CryptoError;

/// Longest domain tag the `len(tag) as u8 ‖ tag` encoding can carry.
pub const MAX_DOMAIN_TAG_LEN: usize = u8::MAX as usize;

/// A domain tag that fits the one-byte length prefix (at most [`MAX_DOMAIN_TAG_LEN`] bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DomainTag<'a>(&'a [u8]);

impl DomainTag<'static> {
    /// A constant tag; a tag longer than [`MAX_DOMAIN_TAG_LEN`] does not compile:
    ///
    /// ```compile_fail
    /// const TOO_LONG: mcnode_crypto::DomainTag = mcnode_crypto::DomainTag::new(&[b'a'; 256]);
    /// ```
    pub const fn new<const N: usize>(tag: &'static [u8; N]) -> Self {
        const { assert!(N <= MAX_DOMAIN_TAG_LEN, "domain tag longer than 255 bytes") };
        DomainTag(tag)
    }
}

impl<'a> DomainTag<'a> {
    /// A tag built at run time, or [`CryptoError::DomainTagTooLong`] if it does not fit the
    /// length prefix.
    pub fn try_new(tag: &'a [u8]) -> Result<Self, CryptoError> {
        if tag.len() > MAX_DOMAIN_TAG_LEN {
            return Err(CryptoError::DomainTagTooLong { len: tag.len(), max: MAX_DOMAIN_TAG_LEN });
        }
        Ok(DomainTag(tag))
    }

    /// The tag's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The length prefix: exact, because the constructors bound the length.
    fn len_byte(&self) -> u8 {
        u8::try_from(self.0.len()).unwrap_or(u8::MAX)
    }
}

/// An incremental domain-separated hasher.
#[derive(Clone)]
pub struct DomainHasher(Blake2b512);

impl DomainHasher {
    /// Starts a hash under `tag` (the constants in [`crate::domain`]).
    pub fn new(tag: DomainTag<'_>) -> Self {
        let mut h = Blake2b512::new();
        h.update([tag.len_byte()]);
        h.update(tag.as_bytes());
        DomainHasher(h)
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) -> &mut Self {
        self.0.update(data);
        self
    }

    /// The raw 64-byte digest.
    pub fn finalize_bytes(self) -> [u8; 64] {
        self.0.finalize().into()
    }

    /// The digest reduced to a scalar.
    pub fn finalize_scalar(self) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.finalize_bytes())
    }

    /// The digest mapped to a Ristretto point (nobody knows its discrete log).
    pub fn finalize_point(self) -> RistrettoPoint {
        RistrettoPoint::from_uniform_bytes(&self.finalize_bytes())
    }
}

/// `H_s(tag, data)`: hash to a scalar.
pub fn hash_to_scalar(tag: DomainTag<'_>, data: &[u8]) -> Scalar {
    let mut h = DomainHasher::new(tag);
    h.update(data);
    h.finalize_scalar()
}

/// `H_p(tag, data)`: hash to a Ristretto point.
pub fn hash_to_point(tag: DomainTag<'_>, data: &[u8]) -> RistrettoPoint {
    let mut h = DomainHasher::new(tag);
    h.update(data);
    h.finalize_point()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(t: &[u8]) -> DomainTag<'_> {
        DomainTag::try_new(t).unwrap()
    }

    #[test]
    fn tags_separate_domains() {
        assert_ne!(hash_to_scalar(tag(b"a"), b"bc"), hash_to_scalar(tag(b"ab"), b"c"));
        assert_ne!(hash_to_point(tag(b"x"), b""), hash_to_point(tag(b"y"), b""));
        let mut inc = DomainHasher::new(tag(b"t"));
        inc.update(b"ab").update(b"c");
        assert_eq!(inc.finalize_scalar(), hash_to_scalar(tag(b"t"), b"abc"));
    }

    #[test]
    fn a_tag_too_long_for_its_length_byte_is_refused_not_cut() {
        // With the length byte cut to 255, tag `a^255 ‖ b` over data `c` and tag `a^255` over
        // data `bc` would hash the same bytes. The longer tag is refused instead.
        let long = [b'a'; 256];
        assert_eq!(
            DomainTag::try_new(&long),
            Err(CryptoError::DomainTagTooLong { len: 256, max: 255 })
        );
        assert_eq!(DomainTag::try_new(&long[..255]).map(|t| t.as_bytes().len()), Ok(255));
    }

    #[test]
    fn every_tag_is_distinct() {
        let tags = crate::domain::ALL;
        for (i, a) in tags.iter().enumerate() {
            for b in &tags[i + 1..] {
                assert_ne!(a, b, "a domain tag is used for two purposes");
            }
        }
    }

    #[test]
    fn golden_hash_to_scalar_and_point() {
        // Pinned: changing the construction or a tag changes these bytes.
        let s = hash_to_scalar(crate::domain::SUBADDRESS, b"golden");
        let p = hash_to_point(crate::domain::TOKEN_GENERATOR, &0u64.to_be_bytes());
        assert_eq!(hex(s.as_bytes()), GOLDEN_SCALAR);
        assert_eq!(hex(p.compress().as_bytes()), GOLDEN_POINT);
    }

    const GOLDEN_SCALAR: &str = "0547db46ca0a9ca6d6a239fa639ad61d10b44a3db85eeb4a2b1acdad59b35609";
    const GOLDEN_POINT: &str = "fea2a949ecba0be76cc5cac58c372e54d335e2cbf61d0916e87e32bdc9e4cb6e";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
