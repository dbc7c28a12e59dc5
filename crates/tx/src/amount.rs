//! Amounts, token ids and Pedersen commitments.
//!
//! Rule (MobileCoin "multiple token types", MCIP-25): every token has its own value generator
//! `H_t = Hp(TOKEN_GENERATOR, t as u64 big-endian)`; the blinding generator is the Ristretto
//! basepoint `G` for all tokens. An amount `(v, t)` with blinding `b` commits to
//! `C = v·H_t + b·G`. Because the generators differ, commitments of different tokens can never
//! cancel in a balance equation.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use curve25519_dalek::{
    RistrettoPoint, Scalar, constants::RISTRETTO_BASEPOINT_TABLE,
    ristretto::VartimeRistrettoPrecomputation, traits::VartimePrecomputedMultiscalarMul,
};
use mcnode_crypto::{CompressedPoint, domain, hash_to_point};
use mcnode_types::{Decode, DecodeError, Encode, Reader};

/// A token (currency) id. Token 0 is the network's native token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TokenId(pub u64);

impl TokenId {
    /// The native token.
    pub const NATIVE: TokenId = TokenId(0);
}

impl Encode for TokenId {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for TokenId {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TokenId(u64::decode(r)?))
    }
}

/// A plaintext amount: value in the token's smallest unit, and the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Amount {
    /// Value in the token's smallest unit.
    pub value: u64,
    /// Which token.
    pub token_id: TokenId,
}

impl Amount {
    /// An amount.
    pub fn new(value: u64, token_id: TokenId) -> Self {
        Amount { value, token_id }
    }
}

/// The Pedersen value generator `H_t` of a token (cached per process; deterministic).
pub fn value_generator(token: TokenId) -> RistrettoPoint {
    static CACHE: OnceLock<Mutex<HashMap<TokenId, RistrettoPoint>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.lock()
        && let Some(p) = map.get(&token)
    {
        return *p;
    }
    let p = hash_to_point(domain::TOKEN_GENERATOR, &token.0.to_be_bytes());
    if let Ok(mut map) = cache.lock() {
        map.insert(token, p);
    }
    p
}

/// `v·H_t` for a public value `v` (a fee), in variable time with a per-token precomputed table.
pub fn public_value_point(token: TokenId, value: u64) -> RistrettoPoint {
    type Tables = Mutex<HashMap<TokenId, std::sync::Arc<VartimeRistrettoPrecomputation>>>;
    static TABLES: OnceLock<Tables> = OnceLock::new();
    let tables = TABLES.get_or_init(|| Mutex::new(HashMap::new()));
    let cached = tables.lock().ok().and_then(|m| m.get(&token).cloned());
    let table = match cached {
        Some(t) => t,
        None => {
            let t =
                std::sync::Arc::new(VartimeRistrettoPrecomputation::new([value_generator(token)]));
            if let Ok(mut m) = tables.lock() {
                m.insert(token, t.clone());
            }
            t
        }
    };
    table.vartime_multiscalar_mul([Scalar::from(value)])
}

/// `v·H_t + b·G`.
pub fn commit(amount: Amount, blinding: &Scalar) -> RistrettoPoint {
    value_generator(amount.token_id) * Scalar::from(amount.value)
        + RISTRETTO_BASEPOINT_TABLE * blinding
}

/// A compressed Pedersen commitment (32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CompressedCommitment(pub CompressedPoint);

impl CompressedCommitment {
    /// Compresses a commitment point.
    pub fn from_point(p: &RistrettoPoint) -> Self {
        CompressedCommitment(CompressedPoint::from_point(p))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

impl Encode for CompressedCommitment {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for CompressedCommitment {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CompressedCommitment(CompressedPoint::decode(r)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_distinct_generators_and_commitments_add() {
        assert_ne!(value_generator(TokenId(0)), value_generator(TokenId(1)));
        let b1 = Scalar::from(7u64);
        let b2 = Scalar::from(9u64);
        let t = TokenId(3);
        let sum = commit(Amount::new(5, t), &b1) + commit(Amount::new(6, t), &b2);
        assert_eq!(sum, commit(Amount::new(11, t), &(b1 + b2)));
        // The same value in another token does not balance.
        assert_ne!(commit(Amount::new(5, t), &b1), commit(Amount::new(5, TokenId(4)), &b1));
        assert_eq!(public_value_point(t, 11), commit(Amount::new(11, t), &Scalar::ZERO));
        assert_eq!(public_value_point(t, 11), commit(Amount::new(11, t), &Scalar::ZERO));
    }
}
