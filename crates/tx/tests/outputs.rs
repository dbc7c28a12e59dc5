//! TxOut creation, scanning and reading; golden bytes of the encoding and key derivation.

use mcnode_crypto::{CompressedPoint, RistrettoPrivate};
use mcnode_tx::{AccountKey, Amount, KeyImage, TokenId, TxOut, TxOutError};
use mcnode_types::{Decode, DecodeError, Encode};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn recipient_finds_reads_and_can_spend_its_output() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let alice = AccountKey::random(&mut rng);
    let bob = AccountKey::random(&mut rng);
    let r = RistrettoPrivate::random(&mut rng);
    let memo = [7u8; 64];
    let amount = Amount::new(1_234_567, TokenId(2));
    let (out, blinding) = TxOut::new(amount, &bob.subaddress(5), &r, Some(&memo)).unwrap();

    // Scanning with the view key yields subaddress 5's spend key.
    assert_eq!(
        out.recover_spend_public(bob.view_private()).unwrap(),
        bob.subaddress(5).spend_public
    );
    assert_ne!(
        out.recover_spend_public(alice.view_private()).unwrap(),
        bob.subaddress(5).spend_public
    );

    let owned = out.view(&bob, 5).unwrap();
    assert_eq!(owned.amount, amount);
    assert_eq!(owned.blinding, blinding);
    assert_eq!(owned.memo, Some(memo));
    assert_eq!(CompressedPoint::from_point(&owned.onetime_private.public()), out.target_key);
    // The memo is not in the clear.
    assert!(!out.memo.unwrap().0.windows(8).any(|w| w == &memo[..8]));
    // An output without a chosen memo still carries one of the same size, read as no data.
    let (plain, _) =
        TxOut::new(amount, &bob.subaddress(5), &RistrettoPrivate::random(&mut rng), None).unwrap();
    assert_eq!(plain.to_canonical_bytes().len(), out.to_canonical_bytes().len());
    assert_eq!(plain.view(&bob, 5).unwrap().memo, None);

    // Nobody else, and no other subaddress, can read it.
    assert_eq!(out.view(&alice, 5), Err(TxOutError::NotOwned));
    assert_eq!(out.view(&bob, 0), Err(TxOutError::NotOwned));

    // A tampered masked value is detected by the commitment check.
    let mut bad = out;
    bad.masked_amount.masked_value ^= 1;
    assert_eq!(bad.view(&bob, 5), Err(TxOutError::AmountMismatch));
    let mut bad = out;
    bad.masked_amount.masked_token_id[7] ^= 1;
    assert_eq!(bad.view(&bob, 5), Err(TxOutError::AmountMismatch));

    // Key images are deterministic per output and differ between outputs.
    let ki = KeyImage::from_onetime_private(&owned.onetime_private);
    assert_eq!(ki, KeyImage::from_onetime_private(&out.view(&bob, 5).unwrap().onetime_private));
    let (out2, _) =
        TxOut::new(amount, &bob.subaddress(5), &RistrettoPrivate::random(&mut rng), None).unwrap();
    assert_ne!(ki, KeyImage::from_onetime_private(&out2.view(&bob, 5).unwrap().onetime_private));
}

#[test]
fn encoding_round_trips_and_rejects_malformed_input() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let bob = AccountKey::random(&mut rng);
    let r = RistrettoPrivate::random(&mut rng);
    let (out, _) =
        TxOut::new(Amount::new(10, TokenId(0)), &bob.default_address(), &r, None).unwrap();
    let bytes = out.to_canonical_bytes();
    // Every output the constructor makes has the one memo size: 113 bytes + tag + 66.
    assert_eq!(bytes.len(), 179);
    assert_eq!(TxOut::from_canonical_bytes(&bytes).unwrap(), out);
    let mut without = out;
    without.memo = None;
    assert_eq!(without.to_canonical_bytes().len(), 113);
    // A memo of another size does not decode: 64 bytes is too short, 67 leaves a byte over.
    assert!(matches!(
        TxOut::from_canonical_bytes(&bytes[..113 + 1 + 64]),
        Err(DecodeError::UnexpectedEnd { .. })
    ));
    let mut long_memo = bytes.clone();
    long_memo.push(0);
    assert_eq!(
        TxOut::from_canonical_bytes(&long_memo),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
    assert!(matches!(
        TxOut::from_canonical_bytes(&bytes[..100]),
        Err(DecodeError::UnexpectedEnd { .. })
    ));
    let mut tag = bytes.clone();
    tag[112] = 2;
    assert_eq!(
        TxOut::from_canonical_bytes(&tag),
        Err(DecodeError::InvalidTag { what: "option", tag: 2 })
    );
}

/// Golden vectors: fixed secrets in, pinned bytes out. A change here is a protocol change.
#[test]
fn golden_key_derivation_and_txout() {
    let view = RistrettoPrivate::from_scalar(mcnode_crypto::Scalar::from(1001u64));
    let spend = RistrettoPrivate::from_scalar(mcnode_crypto::Scalar::from(2002u64));
    let acct = AccountKey::new(view, spend);
    let addr = acct.default_address();
    let r = RistrettoPrivate::from_scalar(mcnode_crypto::Scalar::from(3003u64));
    let (out, _) = TxOut::new(Amount::new(42, TokenId(1)), &addr, &r, None).unwrap();
    let got = format!(
        "{}\n{}\n{}\n{}",
        hex(&addr.view_public.0),
        hex(&addr.spend_public.0),
        hex(&out.to_canonical_bytes()),
        out.leaf_hash()
    );
    assert_eq!(got, GOLDEN);
}

const GOLDEN: &str = "20b424e5f0d2daf5ade4c5998d636a7c92ab9da93b095aab98470d10b8d61033\n1e93a87a920843d5d23d0a532a8e31b3085ed69c0b74b10fbb235790523bf73e\nfca1ae07a99ccdf68c6ec2a6c5374268476c70b599e15fca60b6fd4755611d442a6efccd8f2fd6200452476c1d1817c8b62be185f17fd363a2772009ef568a19f2bc9931858e9fc44fecbaea9e82ff4ddc63cfb21da7e8df46c5a704db48ef088d6678442593069f24135d9f2154c90d01f130d9eba072317035ec0f1b2e028c8ab806562b6ecab08c8904275b89f7b88bf6a18e12d5082d62fd254b17e56fcd9a0f73bcddeb849fa11305ad7a7fc840903aba\n21f1676b81eb207ab5116e004297f9ef1a1c7c8d2c705ed516f5ce64bab03655";

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn any_amount_round_trips_through_an_output(value in any::<u64>(), token in any::<u64>(), seed in any::<u64>(), index in 0u64..4) {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            let acct = AccountKey::random(&mut rng);
            let r = RistrettoPrivate::random(&mut rng);
            let amount = Amount::new(value, TokenId(token));
            let (out, blinding) = TxOut::new(amount, &acct.subaddress(index), &r, None).unwrap();
            let back = TxOut::from_canonical_bytes(&out.to_canonical_bytes()).unwrap();
            let owned = back.view(&acct, index).unwrap();
            prop_assert_eq!(owned.amount, amount);
            prop_assert_eq!(owned.blinding, blinding);
        }
    }
}
