//! CLSAG (ePrint 2019/654, §3, "CLSAG signing" / "CLSAG verification"), over Ristretto with the
//! commitment column of RingCT, domain tags from [`mcnode_crypto::domain`].
//!
//! - `μ_P = Hs(CLSAG_AGG_KEY, ring ‖ I ‖ D ‖ C')`, `μ_C = Hs(CLSAG_AGG_COMMITMENT, same)`;
//! - `W_i = μ_P·P_i + μ_C·(C_i − C')`, `W̃ = μ_P·I + μ_C·D` with `D = z·Hp(P_π)`;
//! - `c_{i+1} = Hs(CLSAG_ROUND, ring ‖ C' ‖ m ‖ s_i·G + c_i·W_i ‖ s_i·Hp(P_i) + c_i·W̃)`;
//! - signature `(c_0, s_0..s_{n-1}, I, D)`; valid iff the chain closes at `c_0`.

use std::sync::OnceLock;

use curve25519_dalek::{
    RistrettoPoint, Scalar,
    constants::RISTRETTO_BASEPOINT_POINT,
    constants::RISTRETTO_BASEPOINT_TABLE,
    ristretto::VartimeRistrettoPrecomputation,
    traits::{VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul},
};
use mcnode_crypto::{CompressedPoint, CryptoRng, DomainHasher, RistrettoPrivate, domain};
use mcnode_types::{Decode, DecodeError, Encode, Reader};
use zeroize::Zeroizing;

use super::{CurveScalar, PreparedRing, RingError, RingMember, hash_ring};
use crate::{CompressedCommitment, KeyImage};

/// Largest ring a decoder accepts (transactions require exactly [`super::RING_SIZE`]).
pub const MAX_DECODED_RING: u32 = 64;

/// A CLSAG signature with its key image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clsag {
    /// `c_0`.
    pub c_zero: CurveScalar,
    /// `s_0..s_{n-1}`.
    pub responses: Vec<CurveScalar>,
    /// `I = p·Hp(P_π)`.
    pub key_image: KeyImage,
    /// `D = z·Hp(P_π)` (the commitment column's auxiliary image).
    pub commitment_key_image: CompressedPoint,
}

/// `s·G + a·P + b·Q` with a precomputed table for `G` (variable time: public data only).
fn l_point(
    s: Scalar,
    a: Scalar,
    p: &RistrettoPoint,
    b: Scalar,
    q: &RistrettoPoint,
) -> RistrettoPoint {
    static TABLE: OnceLock<VartimeRistrettoPrecomputation> = OnceLock::new();
    let table =
        TABLE.get_or_init(|| VartimeRistrettoPrecomputation::new([RISTRETTO_BASEPOINT_POINT]));
    table.vartime_mixed_multiscalar_mul([s], [a, b], [p, q])
}

fn aggregation(
    ring: &[RingMember],
    i: &KeyImage,
    d: &CompressedPoint,
    pseudo: &CompressedCommitment,
) -> (Scalar, Scalar) {
    let mut h = DomainHasher::new(domain::CLSAG_AGG_KEY);
    hash_ring(&mut h, ring);
    h.update(i.as_bytes()).update(d.as_bytes()).update(pseudo.as_bytes());
    let mut hc = DomainHasher::new(domain::CLSAG_AGG_COMMITMENT);
    hash_ring(&mut hc, ring);
    hc.update(i.as_bytes()).update(d.as_bytes()).update(pseudo.as_bytes());
    (h.finalize_scalar(), hc.finalize_scalar())
}

fn round_hash(prefix: &DomainHasher, l: &RistrettoPoint, r: &RistrettoPoint) -> Scalar {
    let mut h = prefix.clone();
    h.update(l.compress().as_bytes()).update(r.compress().as_bytes());
    h.finalize_scalar()
}

fn round_prefix(
    ring: &[RingMember],
    pseudo: &CompressedCommitment,
    message: &[u8; 32],
) -> DomainHasher {
    let mut h = DomainHasher::new(domain::CLSAG_ROUND);
    hash_ring(&mut h, ring);
    h.update(pseudo.as_bytes()).update(message);
    h
}

impl Clsag {
    /// Signs `message` with ring `ring`, owning member `real_index` with one-time private key
    /// `onetime_private`; the member's commitment has blinding `input_blinding`, the
    /// pseudo-output `C' = v·H_t + pseudo_blinding·G` (same amount as the input).
    pub fn sign<R: CryptoRng + ?Sized>(
        message: &[u8; 32],
        ring: &[RingMember],
        real_index: usize,
        onetime_private: &RistrettoPrivate,
        input_blinding: &Scalar,
        pseudo_blinding: &Scalar,
        rng: &mut R,
    ) -> Result<Clsag, RingError> {
        let n = ring.len();
        if n == 0 {
            return Err(RingError::EmptyRing);
        }
        let real = ring
            .get(real_index)
            .ok_or(RingError::RealIndexOutOfRange { index: real_index, size: n })?;
        let p = onetime_private.scalar();
        // Secrets (the blinding difference, the nonce, the combined key): wiped on every
        // return path by `Zeroizing`.
        let z = Zeroizing::new(input_blinding - pseudo_blinding);
        let real_commitment = real
            .commitment
            .0
            .decompress()
            .map_err(|_| RingError::InvalidPoint { what: "ring member commitment" })?;
        let pseudo_point = real_commitment - RISTRETTO_BASEPOINT_TABLE * &*z;
        if CompressedPoint::from_point(&onetime_private.public()) != real.target_key {
            return Err(RingError::SecretMismatch);
        }
        let pseudo = CompressedCommitment::from_point(&pseudo_point);
        let prepared = PreparedRing::new(ring, &pseudo_point)?;
        let hp = prepared.key_image_bases[real_index];
        let key_image = KeyImage(CompressedPoint::from_point(&(hp * p)));
        let d_point = hp * *z;
        let d = CompressedPoint::from_point(&d_point);
        let ki_point =
            key_image.0.decompress().map_err(|_| RingError::InvalidPoint { what: "key image" })?;
        let (mu_p, mu_c) = aggregation(ring, &key_image, &d, &pseudo);
        let w_tilde = ki_point * mu_p + d_point * mu_c;
        let prefix = round_prefix(ring, &pseudo, message);

        let alpha = Zeroizing::new(Scalar::random(rng));
        let mut s = vec![Scalar::ZERO; n];
        let mut c = vec![Scalar::ZERO; n];
        let mut next = (real_index + 1) % n;
        c[next] = round_hash(&prefix, &(RISTRETTO_BASEPOINT_TABLE * &*alpha), &(hp * *alpha));
        while next != real_index {
            let i = next;
            s[i] = Scalar::random(rng);
            let ci = c[i];
            let l = l_point(
                s[i],
                ci * mu_p,
                &prepared.keys[i],
                ci * mu_c,
                &prepared.commitment_diffs[i],
            );
            let r = RistrettoPoint::vartime_multiscalar_mul(
                [s[i], ci],
                [prepared.key_image_bases[i], w_tilde],
            );
            next = (i + 1) % n;
            c[next] = round_hash(&prefix, &l, &r);
        }
        let combined = Zeroizing::new(mu_p * p + mu_c * *z);
        s[real_index] = *alpha - c[real_index] * *combined;
        Ok(Clsag {
            c_zero: CurveScalar::from_scalar(&c[0]),
            responses: s.iter().map(CurveScalar::from_scalar).collect(),
            key_image,
            commitment_key_image: d,
        })
    }

    /// Verifies over `ring` and pseudo-output `pseudo_output` for `message`.
    pub fn verify(
        &self,
        message: &[u8; 32],
        ring: &[RingMember],
        pseudo_output: &CompressedCommitment,
    ) -> Result<(), RingError> {
        let n = ring.len();
        if n == 0 {
            return Err(RingError::EmptyRing);
        }
        if self.responses.len() != n {
            return Err(RingError::ResponseCount { expected: n, got: self.responses.len() });
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
        let d = self
            .commitment_key_image
            .decompress()
            .map_err(|_| RingError::InvalidPoint { what: "commitment key image" })?;
        let prepared = PreparedRing::new(ring, &pseudo_point)?;
        let (mu_p, mu_c) =
            aggregation(ring, &self.key_image, &self.commitment_key_image, pseudo_output);
        let w_tilde = RistrettoPoint::vartime_multiscalar_mul([mu_p, mu_c], [ki, d]);
        let prefix = round_prefix(ring, pseudo_output, message);
        let c0 = self.c_zero.to_scalar()?;
        let mut c = c0;
        for i in 0..n {
            let s = self.responses[i].to_scalar()?;
            let l =
                l_point(s, c * mu_p, &prepared.keys[i], c * mu_c, &prepared.commitment_diffs[i]);
            let r = RistrettoPoint::vartime_multiscalar_mul(
                [s, c],
                [prepared.key_image_bases[i], w_tilde],
            );
            c = round_hash(&prefix, &l, &r);
        }
        if c == c0 { Ok(()) } else { Err(RingError::Invalid) }
    }

    /// Encoded size in bytes for a ring of `n`.
    pub fn encoded_len(n: usize) -> usize {
        32 + 4 + 32 * n + 32 + 32
    }
}

impl Encode for Clsag {
    fn encode(&self, out: &mut Vec<u8>) {
        self.c_zero.encode(out);
        self.responses.encode(out);
        self.key_image.encode(out);
        self.commitment_key_image.encode(out);
    }
}

impl Decode for Clsag {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Clsag {
            c_zero: CurveScalar::decode(r)?,
            responses: r.seq(MAX_DECODED_RING)?,
            key_image: KeyImage::decode(r)?,
            commitment_key_image: CompressedPoint::decode(r)?,
        })
    }
}
