//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use mcnode_types::{Decode, Encode};

use crate::address::AddressString;
use crate::testkit::test_context;
use crate::tx::Tx;
use crate::validation::{validate_stateless, validate_with_ledger};
use crate::{MembershipProof, TxOut};

/// Decodes arbitrary bytes as a [`Tx`]; whatever decodes must re-encode to the same bytes and
/// run through stateless and ledger validation (against an empty ledger) without panicking.
pub fn fuzz_tx(data: &[u8]) {
    if let Ok(tx) = Tx::from_canonical_bytes(data) {
        assert_eq!(tx.to_canonical_bytes(), data, "Tx encoding is not canonical");
        let _ = tx.hash();
        let _ = validate_stateless(&tx, &test_context(10));
        let _ = validate_with_ledger(&tx, &crate::testkit::InMemoryLedger::new());
    }
}

/// Parses arbitrary bytes (as UTF-8) as an address; whatever parses must print back the same.
pub fn fuzz_address(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(a) = s.parse::<AddressString>()
    {
        assert_eq!(a.to_string(), s, "address text is not canonical");
    }
}

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
    use std::sync::OnceLock;

    /// One valid transaction's bytes, built once for the mutation test.
    fn valid_tx_bytes() -> &'static [u8] {
        static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
        BYTES.get_or_init(|| {
            let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(77);
            let mut fx = crate::testkit::Fixture::new(20, &mut rng);
            let inputs = fx.fund_sender(&[5_000], &mut rng);
            let tx = fx.build(&inputs, 1, 10, &mut rng).unwrap();
            crate::Encode::to_canonical_bytes(&tx)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn fuzz_tx_on_mutated_valid_tx(pos in 0usize..3500, byte in any::<u8>(), cut in 0usize..40) {
            let mut b = valid_tx_bytes().to_vec();
            let pos = pos % b.len();
            b[pos] = byte;
            super::fuzz_tx(&b);
            b.truncate(b.len() - cut);
            super::fuzz_tx(&b);
        }
    }

    proptest! {
        #[test]
        fn fuzz_tx_out_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            super::fuzz_tx_out(&b);
        }

        #[test]
        fn fuzz_tx_and_address_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            super::fuzz_tx(&b);
            super::fuzz_address(&b);
        }

        #[test]
        fn fuzz_address_on_random_base58(s in "mc[mtd][1-9A-HJ-NP-Za-km-z]{0,100}") {
            super::fuzz_address(s.as_bytes());
        }

        #[test]
        fn fuzz_tx_out_on_mutated_valid_output(pos in 0usize..179, bit in 0u8..8) {
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
