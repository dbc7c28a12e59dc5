//! Accounts and subaddresses.
//!
//! Rules (CryptoNote §4.3 one-time keys; MobileCoin `mc-account-keys`, subaddresses as in
//! Monero's MRL-0006 scheme):
//! - An account is a view private key `a` and a spend private key `b`.
//! - Subaddress `i` has spend public key `D_i = b·G + m_i·G` with
//!   `m_i = Hs(SUBADDRESS, a ‖ i as u64 big-endian)`, and view public key `C_i = a·D_i`.
//!   Its spend private key is `b + m_i`.
//! - Index 0 is the default address people are given, index 1 receives change.
//! - A [`PublicAddress`] is `(C_i, D_i)`. Nobody can link two subaddresses of one account
//!   without `a`.

use std::fmt;

use curve25519_dalek::{RistrettoPoint, Scalar};
use mcnode_crypto::{CompressedPoint, CryptoRng, DomainHasher, RistrettoPrivate, domain};
use mcnode_types::{Decode, DecodeError, Encode, Reader};

/// Subaddress index of the default address.
pub const DEFAULT_SUBADDRESS_INDEX: u64 = 0;
/// Subaddress index that receives change.
pub const CHANGE_SUBADDRESS_INDEX: u64 = 1;

/// An account's two private keys. Redacted in `Debug`, zeroized on drop (the fields are).
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKey {
    view_private: RistrettoPrivate,
    spend_private: RistrettoPrivate,
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountKey(<redacted>)")
    }
}

impl AccountKey {
    /// An account from its two private keys.
    pub fn new(view_private: RistrettoPrivate, spend_private: RistrettoPrivate) -> Self {
        AccountKey { view_private, spend_private }
    }

    /// A fresh random account.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let view_private = RistrettoPrivate::random(rng);
        let spend_private = RistrettoPrivate::random(rng);
        AccountKey { view_private, spend_private }
    }

    /// The view private key `a` (lets its holder find and read incoming outputs, not spend).
    pub fn view_private(&self) -> &RistrettoPrivate {
        &self.view_private
    }

    /// The spend private key `b`.
    pub fn spend_private(&self) -> &RistrettoPrivate {
        &self.spend_private
    }

    /// `m_i = Hs(SUBADDRESS, a ‖ i)`.
    fn subaddress_offset(&self, index: u64) -> Scalar {
        let mut h = DomainHasher::new(domain::SUBADDRESS);
        h.update(&self.view_private.to_bytes()).update(&index.to_be_bytes());
        h.finalize_scalar()
    }

    /// The spend private key of subaddress `i`: `b + m_i`.
    pub fn subaddress_spend_private(&self, index: u64) -> RistrettoPrivate {
        RistrettoPrivate::from_scalar(self.spend_private.scalar() + self.subaddress_offset(index))
    }

    /// The public address of subaddress `i`.
    pub fn subaddress(&self, index: u64) -> PublicAddress {
        let d: RistrettoPoint = self.subaddress_spend_private(index).public();
        let c = d * self.view_private.scalar();
        PublicAddress {
            view_public: CompressedPoint::from_point(&c),
            spend_public: CompressedPoint::from_point(&d),
        }
    }

    /// The default address (subaddress 0).
    pub fn default_address(&self) -> PublicAddress {
        self.subaddress(DEFAULT_SUBADDRESS_INDEX)
    }

    /// The change address (subaddress 1).
    pub fn change_address(&self) -> PublicAddress {
        self.subaddress(CHANGE_SUBADDRESS_INDEX)
    }
}

/// A public address: subaddress view public key `C` and spend public key `D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicAddress {
    /// `C_i = a·D_i`.
    pub view_public: CompressedPoint,
    /// `D_i = (b + m_i)·G`.
    pub spend_public: CompressedPoint,
}

impl Encode for PublicAddress {
    fn encode(&self, out: &mut Vec<u8>) {
        self.view_public.encode(out);
        self.spend_public.encode(out);
    }
}

impl Decode for PublicAddress {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(PublicAddress {
            view_public: CompressedPoint::decode(r)?,
            spend_public: CompressedPoint::decode(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn subaddresses_differ_and_match_their_private_keys() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let acct = AccountKey::random(&mut rng);
        let a0 = acct.default_address();
        let a1 = acct.change_address();
        assert_ne!(a0, a1);
        let d1 = acct.subaddress_spend_private(1).public();
        assert_eq!(CompressedPoint::from_point(&d1), a1.spend_public);
        assert_eq!(
            CompressedPoint::from_point(&(d1 * acct.view_private().scalar())),
            a1.view_public
        );
        assert_eq!(format!("{acct:?}"), "AccountKey(<redacted>)");
    }
}
