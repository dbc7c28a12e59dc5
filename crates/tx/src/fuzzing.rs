//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use mcnode_types::{Decode, Encode};

use crate::{MembershipProof, TxOut};

/// Decodes arbitrary bytes as a [`TxOut`]; whatever decodes must re-encode to the same bytes.
pub fn fuzz_tx_out(data: &[u8]) {
    if let Ok(v) = TxOut::from_canonical_bytes(data) {
        assert_eq!(v.to_canonical_bytes(), data, "TxOut encoding is not canonical");
        let _ = v.leaf_hash();
    }
    if let Ok(p) = MembershipProof::from_canonical_bytes(data) {
        assert_eq!(p.to_canonical_bytes(), data, "proof encoding is not canonical");
        let _ = p.implied_root(&mcnode_types::Hash32::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_tx_out_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            super::fuzz_tx_out(&b);
        }

        #[test]
        fn fuzz_tx_out_on_mutated_valid_output(pos in 0usize..113, bit in 0u8..8) {
            let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(9);
            let acct = crate::AccountKey::random(&mut rng);
            let r = mcnode_crypto::RistrettoPrivate::random(&mut rng);
            let (out, _) = crate::TxOut::new(crate::Amount::new(5, crate::TokenId(0)), &acct.default_address(), &r, None).unwrap();
            let mut b = mcnode_types::Encode::to_canonical_bytes(&out);
            b[pos] ^= 1 << bit;
            super::fuzz_tx_out(&b);
        }
    }
}
