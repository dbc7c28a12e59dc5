//! Transaction outputs (TxOut): creating them for a recipient, finding and reading them.
//!
//! Rules (CryptoNote §4.3 one-time addresses; MobileCoin `mc-transaction-core` `TxOut`,
//! `MaskedAmount` v2):
//! - The sender picks a fresh secret `r` per output and publishes the transaction public key
//!   `R = r·D` (D = recipient's subaddress spend key). The shared secret is
//!   `S = r·C = a·R` (C = view key of that subaddress), known to sender and recipient only.
//! - The one-time target key is `P = Hs(ONETIME_KEY, S)·G + D`. Only the owner of `D` can spend:
//!   the one-time private key is `x = Hs(ONETIME_KEY, S) + (b + m_i)`.
//! - The amount `(v, t)` is committed as `C = v·H_t + s·G` with blinding
//!   `s = Hs(AMOUNT_BLINDING, S)`, and published masked: `v ⊕ mask_v`, `t ⊕ mask_t` where the
//!   masks are the first 8 bytes of `H(AMOUNT_VALUE_MASK, S)` and `H(AMOUNT_TOKEN_MASK, S)`.
//!   The recipient unmasks and checks that the commitment recomputes, so a wrong key or a
//!   tampered amount is detected.
//! - Every output [`TxOut::new`] creates carries a memo of one fixed size,
//!   [`ENCRYPTED_MEMO_LEN`] = 66 bytes (MobileCoin's `e_memo`: a 2-byte memo type and 64 bytes
//!   of data), the change and fee outputs included, so no output can be told apart by its
//!   memo. Plaintext: memo type (u16 BE: [`MEMO_TYPE_UNUSED`], all data zero, or
//!   [`MEMO_TYPE_DATA`], 64 bytes the sender chose) ‖ data; encrypted by XOR with the
//!   keystream `H(MEMO_KEYSTREAM, S ‖ 0) ‖ H(MEMO_KEYSTREAM, S ‖ 1)` (first 66 bytes).
//!   Validation refuses a transaction output without one ([`crate::validation::TxError::MissingMemo`]);
//!   a memo of another size does not decode (the field is a fixed-width array).
//!
//! The canonical encoding is `target_key ‖ public_key ‖ commitment ‖ masked_value (u64 BE) ‖
//! masked_token_id (8 bytes) ‖ memo (option: tag byte, then 66 bytes)`: 179 bytes with the
//! memo, 113 without (only outputs made outside a transaction, such as synthetic test
//! outputs, can lack one).

use curve25519_dalek::{RistrettoPoint, Scalar, constants::RISTRETTO_BASEPOINT_TABLE};
use mcnode_crypto::{
    CompressedPoint, CryptoError, DomainHasher, DomainTag, RistrettoPrivate, domain,
};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader};

use crate::account::{AccountKey, PublicAddress};
use crate::amount::{Amount, CompressedCommitment, TokenId, commit};

/// Domain tag of a TxOut's leaf hash in the ledger's Merkle tree (see [`crate::membership`]).
pub const TXOUT_LEAF_DOMAIN: &[u8] = b"mcnode-txout-leaf-v1";
/// Domain tag of a TxOut's hash.
pub const TXOUT_HASH_DOMAIN: &[u8] = b"mcnode-txout-hash-v1";
/// Length of an encrypted memo: memo type (2 bytes) and data (MobileCoin's 66-byte `e_memo`).
pub const ENCRYPTED_MEMO_LEN: usize = 66;
/// Length of a memo's data (what a sender may write).
pub const MEMO_DATA_LEN: usize = 64;
/// Memo type of an output whose sender wrote nothing (data all zero).
pub const MEMO_TYPE_UNUSED: u16 = 0x0000;
/// Memo type of an output carrying 64 bytes the sender chose.
pub const MEMO_TYPE_DATA: u16 = 0x0001;

/// An encrypted memo: always [`ENCRYPTED_MEMO_LEN`] bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EncryptedMemo(pub [u8; ENCRYPTED_MEMO_LEN]);

/// The amount of an output as the public sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaskedAmount {
    /// `v·H_t + s·G`.
    pub commitment: CompressedCommitment,
    /// `v ⊕ mask_v`.
    pub masked_value: u64,
    /// `t ⊕ mask_t` (big-endian bytes of the token id, masked).
    pub masked_token_id: [u8; 8],
}

/// A transaction output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxOut {
    /// The one-time target key `P` (what a ring member's key column is).
    pub target_key: CompressedPoint,
    /// The transaction public key `R`. Unique per output; the ledger indexes outputs by it.
    pub public_key: CompressedPoint,
    /// The masked amount and its commitment.
    pub masked_amount: MaskedAmount,
    /// Optional encrypted memo.
    pub memo: Option<EncryptedMemo>,
}

/// What a recipient learns from an output it owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedOutput {
    /// The amount.
    pub amount: Amount,
    /// The commitment's blinding factor.
    pub blinding: RistrettoPrivate,
    /// The one-time private key `x` (spends the output).
    pub onetime_private: RistrettoPrivate,
    /// The data of a [`MEMO_TYPE_DATA`] memo; `None` for an unused memo, a memo of a type
    /// this version does not know, or an output without a memo.
    pub memo: Option<[u8; MEMO_DATA_LEN]>,
}

/// Why an output could not be created or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TxOutError {
    /// A key in the output or address is not a valid point.
    #[error("invalid curve point in output or address: {0}")]
    Crypto(#[from] CryptoError),
    /// The output is not addressed to this subaddress.
    #[error("output does not belong to this subaddress")]
    NotOwned,
    /// The unmasked amount does not recompute the commitment (tampered or wrong key).
    #[error("unmasked amount does not match the commitment")]
    AmountMismatch,
}

fn hs(tag: DomainTag<'_>, s: &CompressedPoint) -> Scalar {
    let mut h = DomainHasher::new(tag);
    h.update(s.as_bytes());
    h.finalize_scalar()
}

fn mask8(tag: DomainTag<'_>, s: &CompressedPoint) -> [u8; 8] {
    let mut h = DomainHasher::new(tag);
    h.update(s.as_bytes());
    let d = h.finalize_bytes();
    let mut m = [0u8; 8];
    m.copy_from_slice(&d[..8]);
    m
}

fn memo_xor(s: &CompressedPoint, data: &[u8; ENCRYPTED_MEMO_LEN]) -> [u8; ENCRYPTED_MEMO_LEN] {
    let block = |i: u8| {
        let mut h = DomainHasher::new(domain::MEMO_KEYSTREAM);
        h.update(s.as_bytes()).update(&[i]);
        h.finalize_bytes()
    };
    let (k0, k1) = (block(0), block(1));
    let ks = k0.iter().chain(k1.iter());
    let mut out = [0u8; ENCRYPTED_MEMO_LEN];
    for (o, (d, k)) in out.iter_mut().zip(data.iter().zip(ks)) {
        *o = d ^ k;
    }
    out
}

/// The memo plaintext: type ‖ data.
fn memo_plaintext(data: Option<&[u8; MEMO_DATA_LEN]>) -> [u8; ENCRYPTED_MEMO_LEN] {
    let mut p = [0u8; ENCRYPTED_MEMO_LEN];
    if let Some(d) = data {
        p[..2].copy_from_slice(&MEMO_TYPE_DATA.to_be_bytes());
        p[2..].copy_from_slice(d);
    }
    p
}

/// The data of a [`MEMO_TYPE_DATA`] plaintext.
fn memo_data(plain: &[u8; ENCRYPTED_MEMO_LEN]) -> Option<[u8; MEMO_DATA_LEN]> {
    let (ty, data) = plain.split_first_chunk::<2>()?;
    (u16::from_be_bytes(*ty) == MEMO_TYPE_DATA).then(|| data.first_chunk().copied()).flatten()
}

impl MaskedAmount {
    /// Masks `amount` under shared secret `s`; returns it with the commitment's blinding.
    fn new(amount: Amount, s: &CompressedPoint) -> (Self, Scalar) {
        let blinding = hs(domain::AMOUNT_BLINDING, s);
        let commitment = CompressedCommitment::from_point(&commit(amount, &blinding));
        let masked_value = amount.value ^ u64::from_be_bytes(mask8(domain::AMOUNT_VALUE_MASK, s));
        let tm = mask8(domain::AMOUNT_TOKEN_MASK, s);
        let tb = amount.token_id.0.to_be_bytes();
        let masked_token_id = std::array::from_fn(|i| tb[i] ^ tm[i]);
        (MaskedAmount { commitment, masked_value, masked_token_id }, blinding)
    }

    /// Unmasks under shared secret `s` and checks the commitment.
    fn unmask(&self, s: &CompressedPoint) -> Result<(Amount, Scalar), TxOutError> {
        let value = self.masked_value ^ u64::from_be_bytes(mask8(domain::AMOUNT_VALUE_MASK, s));
        let tm = mask8(domain::AMOUNT_TOKEN_MASK, s);
        let token = u64::from_be_bytes(std::array::from_fn(|i| self.masked_token_id[i] ^ tm[i]));
        let amount = Amount::new(value, TokenId(token));
        let blinding = hs(domain::AMOUNT_BLINDING, s);
        if CompressedCommitment::from_point(&commit(amount, &blinding)) != self.commitment {
            return Err(TxOutError::AmountMismatch);
        }
        Ok((amount, blinding))
    }
}

impl TxOut {
    /// Creates an output paying `amount` to `to`, using the per-output secret `r` (draw it fresh
    /// from a CSPRNG: `RistrettoPrivate::random`). Returns the output and its blinding factor.
    /// The output always carries an encrypted memo: of type [`MEMO_TYPE_DATA`] with `memo`,
    /// else [`MEMO_TYPE_UNUSED`].
    pub fn new(
        amount: Amount,
        to: &PublicAddress,
        r: &RistrettoPrivate,
        memo: Option<&[u8; MEMO_DATA_LEN]>,
    ) -> Result<(TxOut, RistrettoPrivate), TxOutError> {
        let c = to.view_public.decompress()?;
        let d = to.spend_public.decompress()?;
        let public_key = CompressedPoint::from_point(&(d * r.scalar()));
        let s = CompressedPoint::from_point(&(c * r.scalar()));
        let target: RistrettoPoint = RISTRETTO_BASEPOINT_TABLE * &hs(domain::ONETIME_KEY, &s) + d;
        let (masked_amount, blinding) = MaskedAmount::new(amount, &s);
        let out = TxOut {
            target_key: CompressedPoint::from_point(&target),
            public_key,
            masked_amount,
            memo: Some(EncryptedMemo(memo_xor(&s, &memo_plaintext(memo)))),
        };
        Ok((out, RistrettoPrivate::from_scalar(blinding)))
    }

    /// The key the ledger indexes this output by, and that must be unique in the ledger: the
    /// transaction public key `R`.
    pub fn public_key(&self) -> &CompressedPoint {
        &self.public_key
    }

    /// The output's commitment.
    pub fn commitment(&self) -> &CompressedCommitment {
        &self.masked_amount.commitment
    }

    /// The shared secret `S = a·R` for view private key `a`.
    pub fn shared_secret(
        &self,
        view_private: &RistrettoPrivate,
    ) -> Result<CompressedPoint, TxOutError> {
        let r = self.public_key.decompress()?;
        Ok(CompressedPoint::from_point(&(r * view_private.scalar())))
    }

    /// The spend public key this output pays to, as seen with view key `a`: `P − Hs(S)·G`.
    /// A wallet compares it with its table of subaddress spend keys (one scalar multiplication
    /// per output scanned).
    pub fn recover_spend_public(
        &self,
        view_private: &RistrettoPrivate,
    ) -> Result<CompressedPoint, TxOutError> {
        let s = self.shared_secret(view_private)?;
        let p = self.target_key.decompress()?;
        Ok(CompressedPoint::from_point(
            &(p - RISTRETTO_BASEPOINT_TABLE * &hs(domain::ONETIME_KEY, &s)),
        ))
    }

    /// Reads an output owned by subaddress `index` of `account`: amount, blinding, one-time
    /// private key and memo. Fails with [`TxOutError::NotOwned`] for anyone else's output.
    pub fn view(&self, account: &AccountKey, index: u64) -> Result<OwnedOutput, TxOutError> {
        let s = self.shared_secret(account.view_private())?;
        let k = hs(domain::ONETIME_KEY, &s);
        let spend = account.subaddress_spend_private(index);
        let x = RistrettoPrivate::from_scalar(k + spend.scalar());
        if CompressedPoint::from_point(&x.public()) != self.target_key {
            return Err(TxOutError::NotOwned);
        }
        let (amount, blinding) = self.masked_amount.unmask(&s)?;
        Ok(OwnedOutput {
            amount,
            blinding: RistrettoPrivate::from_scalar(blinding),
            onetime_private: x,
            memo: self.memo.and_then(|m| memo_data(&memo_xor(&s, &m.0))),
        })
    }

    /// The leaf hash of this output in the ledger's Merkle tree:
    /// `Hash32::digest(TXOUT_LEAF_DOMAIN, canonical bytes)`.
    pub fn leaf_hash(&self) -> Hash32 {
        Hash32::of(TXOUT_LEAF_DOMAIN, self)
    }

    /// A hash identifying this output: `Hash32::digest(TXOUT_HASH_DOMAIN, canonical bytes)`.
    pub fn hash(&self) -> Hash32 {
        Hash32::of(TXOUT_HASH_DOMAIN, self)
    }
}

impl Encode for MaskedAmount {
    fn encode(&self, out: &mut Vec<u8>) {
        self.commitment.encode(out);
        self.masked_value.encode(out);
        self.masked_token_id.encode(out);
    }
}

impl Decode for MaskedAmount {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MaskedAmount {
            commitment: CompressedCommitment::decode(r)?,
            masked_value: u64::decode(r)?,
            masked_token_id: r.array()?,
        })
    }
}

impl Encode for EncryptedMemo {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Decode for EncryptedMemo {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(EncryptedMemo(r.array()?))
    }
}

impl Encode for TxOut {
    fn encode(&self, out: &mut Vec<u8>) {
        self.target_key.encode(out);
        self.public_key.encode(out);
        self.masked_amount.encode(out);
        self.memo.encode(out);
    }
}

impl Decode for TxOut {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TxOut {
            target_key: CompressedPoint::decode(r)?,
            public_key: CompressedPoint::decode(r)?,
            masked_amount: MaskedAmount::decode(r)?,
            memo: Option::<EncryptedMemo>::decode(r)?,
        })
    }
}
