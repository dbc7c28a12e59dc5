//! Two-column MLSAG (Noether, "Ring Confidential Transactions", Ledger 2016, §2.2 and §4;
//! MobileCoin's `RingMLSAG`): column 0 is the one-time keys with key image `I`, column 1 the
//! commitment differences `C_i − C'` with no key image. Kept to measure against CLSAG; [`crate::Tx`]
//! uses CLSAG.
//!
//! `c_{i+1} = Hs(MLSAG_ROUND, ring ‖ C' ‖ m ‖ I ‖ r_{i,0}·G + c_i·P_i ‖ r_{i,0}·Hp(P_i) + c_i·I ‖
//! r_{i,1}·G + c_i·(C_i − C'))`; signature `(c_0, r_{0,0}, r_{0,1}, …, I)`.

use curve25519_dalek::{RistrettoPoint, Scalar, constants::RISTRETTO_BASEPOINT_TABLE};
use mcnode_crypto::{CompressedPoint, CryptoRng, DomainHasher, RistrettoPrivate, domain};
use mcnode_types::{Decode, DecodeError, Encode, Reader};
use zeroize::Zeroizing;

use super::{CurveScalar, PreparedRing, RingError, RingMember, hash_ring};
use crate::{CompressedCommitment, KeyImage};

/// A two-column MLSAG signature with its key image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mlsag {
    /// `c_0`.
    pub c_zero: CurveScalar,
    /// `r_{0,0}, r_{0,1}, r_{1,0}, …` (two per member).
    pub responses: Vec<CurveScalar>,
    /// `I = p·Hp(P_π)`.
    pub key_image: KeyImage,
}

fn prefix(
    ring: &[RingMember],
    pseudo: &CompressedCommitment,
    message: &[u8; 32],
    ki: &KeyImage,
) -> DomainHasher {
    let mut h = DomainHasher::new(domain::MLSAG_ROUND);
    hash_ring(&mut h, ring);
    h.update(pseudo.as_bytes()).update(message).update(ki.as_bytes());
    h
}

fn challenge(
    prefix: &DomainHasher,
    l0: &RistrettoPoint,
    r0: &RistrettoPoint,
    l1: &RistrettoPoint,
) -> Scalar {
    let mut h = prefix.clone();
    h.update(l0.compress().as_bytes())
        .update(r0.compress().as_bytes())
        .update(l1.compress().as_bytes());
    h.finalize_scalar()
}

impl Mlsag {
    /// Signs; arguments as [`super::Clsag::sign`].
    pub fn sign<R: CryptoRng + ?Sized>(
        message: &[u8; 32],
        ring: &[RingMember],
        real_index: usize,
        onetime_private: &RistrettoPrivate,
        input_blinding: &Scalar,
        pseudo_blinding: &Scalar,
        rng: &mut R,
    ) -> Result<Mlsag, RingError> {
        let n = ring.len();
        if n == 0 {
            return Err(RingError::EmptyRing);
        }
        let real = ring
            .get(real_index)
            .ok_or(RingError::RealIndexOutOfRange { index: real_index, size: n })?;
        if CompressedPoint::from_point(&onetime_private.public()) != real.target_key {
            return Err(RingError::SecretMismatch);
        }
        let p = onetime_private.scalar();
        // Secrets: wiped on every return path by `Zeroizing`.
        let z = Zeroizing::new(input_blinding - pseudo_blinding);
        let real_c = real
            .commitment
            .0
            .decompress()
            .map_err(|_| RingError::InvalidPoint { what: "ring member commitment" })?;
        let pseudo_point = real_c - RISTRETTO_BASEPOINT_TABLE * &*z;
        let pseudo = CompressedCommitment::from_point(&pseudo_point);
        let prepared = PreparedRing::new(ring, &pseudo_point)?;
        let hp = prepared.key_image_bases[real_index];
        let ki_point = hp * p;
        let key_image = KeyImage(CompressedPoint::from_point(&ki_point));
        let pre = prefix(ring, &pseudo, message, &key_image);

        let a0 = Zeroizing::new(Scalar::random(rng));
        let a1 = Zeroizing::new(Scalar::random(rng));
        let mut r = vec![Scalar::ZERO; 2 * n];
        let mut c = vec![Scalar::ZERO; n];
        let mut next = (real_index + 1) % n;
        c[next] = challenge(
            &pre,
            &(RISTRETTO_BASEPOINT_TABLE * &*a0),
            &(hp * *a0),
            &(RISTRETTO_BASEPOINT_TABLE * &*a1),
        );
        while next != real_index {
            let i = next;
            r[2 * i] = Scalar::random(rng);
            r[2 * i + 1] = Scalar::random(rng);
            let ci = c[i];
            let l0 = RistrettoPoint::vartime_double_scalar_mul_basepoint(
                &ci,
                &prepared.keys[i],
                &r[2 * i],
            );
            let r0 = prepared.key_image_bases[i] * r[2 * i] + ki_point * ci;
            let l1 = RistrettoPoint::vartime_double_scalar_mul_basepoint(
                &ci,
                &prepared.commitment_diffs[i],
                &r[2 * i + 1],
            );
            next = (i + 1) % n;
            c[next] = challenge(&pre, &l0, &r0, &l1);
        }
        r[2 * real_index] = *a0 - c[real_index] * p;
        r[2 * real_index + 1] = *a1 - c[real_index] * *z;
        Ok(Mlsag {
            c_zero: CurveScalar::from_scalar(&c[0]),
            responses: r.iter().map(CurveScalar::from_scalar).collect(),
            key_image,
        })
    }

    /// Verifies over `ring` and pseudo-output `pseudo_output` for `message`.
    pub fn verify(
        &self,
        message: &[u8; 32],
        ring: &[RingMember],
        pseudo_output: &CompressedCommitment,
    ) -> Result<(), RingError> {
        use curve25519_dalek::traits::VartimeMultiscalarMul;
        let n = ring.len();
        if n == 0 {
            return Err(RingError::EmptyRing);
        }
        if self.responses.len() != 2 * n {
            return Err(RingError::ResponseCount { expected: 2 * n, got: self.responses.len() });
        }
        let pseudo_point = pseudo_output
            .0
            .decompress()
            .map_err(|_| RingError::InvalidPoint { what: "pseudo-output" })?;
        let ki = self
            .key_image
            .0
            .decompress()
            .map_err(|_| RingError::InvalidPoint { what: "key image" })?;
        let prepared = PreparedRing::new(ring, &pseudo_point)?;
        let pre = prefix(ring, pseudo_output, message, &self.key_image);
        let c0 = self.c_zero.to_scalar()?;
        let mut c = c0;
        for i in 0..n {
            let r0 = self.responses[2 * i].to_scalar()?;
            let r1 = self.responses[2 * i + 1].to_scalar()?;
            let l0 =
                RistrettoPoint::vartime_double_scalar_mul_basepoint(&c, &prepared.keys[i], &r0);
            let rr0 =
                RistrettoPoint::vartime_multiscalar_mul([r0, c], [prepared.key_image_bases[i], ki]);
            let l1 = RistrettoPoint::vartime_double_scalar_mul_basepoint(
                &c,
                &prepared.commitment_diffs[i],
                &r1,
            );
            c = challenge(&pre, &l0, &rr0, &l1);
        }
        if c == c0 { Ok(()) } else { Err(RingError::Invalid) }
    }
}

impl Encode for Mlsag {
    fn encode(&self, out: &mut Vec<u8>) {
        self.c_zero.encode(out);
        self.responses.encode(out);
        self.key_image.encode(out);
    }
}

impl Decode for Mlsag {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Mlsag {
            c_zero: CurveScalar::decode(r)?,
            responses: r.seq(2 * super::clsag::MAX_DECODED_RING)?,
            key_image: KeyImage::decode(r)?,
        })
    }
}
