//! Key images: one per spent output, the double-spend tag.
//!
//! Rule (CryptoNote §4.4; MobileCoin `KeyImage`): the owner of one-time private key `x` with
//! public key `P = x·G` publishes `I = x·Hp(KEY_IMAGE_BASE, P)`. `I` is the same however often
//! the output is spent (linkable), reveals nothing about which ring member is `P`, and cannot be
//! produced without `x` (the ring signature proves `log_G P = log_Hp(P) I`).

use curve25519_dalek::RistrettoPoint;
use mcnode_crypto::{CompressedPoint, RistrettoPrivate, domain, hash_to_point};
use mcnode_types::{Decode, DecodeError, Encode, Reader};

/// A key image (compressed point, 32 bytes). Ordered by bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct KeyImage(pub CompressedPoint);

impl KeyImage {
    /// `x · Hp(x·G)` for a one-time private key.
    pub fn from_onetime_private(x: &RistrettoPrivate) -> Self {
        let p = CompressedPoint::from_point(&x.public());
        KeyImage(CompressedPoint::from_point(&(key_image_base(&p) * x.scalar())))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

/// `Hp(KEY_IMAGE_BASE, P)`: the base of the key image of the output with one-time key `P`.
pub fn key_image_base(onetime_public: &CompressedPoint) -> RistrettoPoint {
    hash_to_point(domain::KEY_IMAGE_BASE, onetime_public.as_bytes())
}

impl Encode for KeyImage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for KeyImage {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(KeyImage(CompressedPoint::decode(r)?))
    }
}

impl From<[u8; 32]> for KeyImage {
    fn from(b: [u8; 32]) -> Self {
        KeyImage(CompressedPoint(b))
    }
}
