//! End-to-end: build, encode, decode, verify; recipients scan and read; ring positions are
//! uniform; golden vectors for the transaction hash and addresses.

mod common;

use common::{HEIGHT, ctx, setup};
use mcnode_crypto::RistrettoPrivate;
use mcnode_tx::address::{AddressError, AddressString, Network};
use mcnode_tx::builder::assemble_ring;
use mcnode_tx::ring::{Clsag, Mlsag, RING_SIZE, RingError, RingMember};
use mcnode_tx::testkit::{Fixture, TEST_FEE, random_outputs};
use mcnode_tx::tx::Tx;
use mcnode_tx::validation::{validate_stateless, validate_with_ledger};
use mcnode_tx::{
    AccountKey, Amount, CompressedCommitment, Decode, DecodeError, Encode, TokenId, TxOut,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

#[test]
fn build_encode_decode_verify_and_recipients_read_their_outputs() {
    let mut s = setup(100);
    let tx = s.valid();
    let bytes = tx.to_canonical_bytes();
    let back = Tx::from_canonical_bytes(&bytes).unwrap();
    assert_eq!(back, tx);
    assert_eq!(back.hash(), tx.hash());
    validate_stateless(&back, &ctx()).unwrap();
    validate_with_ledger(&back, &s.fx.ledger).unwrap();

    // The recipient finds exactly its payment; the sender finds its change on subaddress 1.
    let mut paid = vec![];
    let mut change = vec![];
    for o in &back.prefix.outputs {
        if let Ok(v) = o.view(&s.fx.recipient, 0) {
            paid.push(v.amount);
        }
        if let Ok(v) = o.view(&s.fx.sender, 1) {
            change.push(v.amount);
        }
    }
    assert_eq!(paid, vec![Amount::new(1, TokenId(0))]);
    assert_eq!(change, vec![Amount::new(30_000 - 1 - TEST_FEE, TokenId(0))]);
    // Truncations and trailing bytes are typed errors.
    assert!(matches!(
        Tx::from_canonical_bytes(&bytes[..bytes.len() - 1]),
        Err(DecodeError::UnexpectedEnd { .. })
    ));
    let mut long = bytes;
    long.push(0);
    assert!(matches!(
        Tx::from_canonical_bytes(&long),
        Err(DecodeError::TrailingBytes { count: 1 })
    ));
}

#[test]
fn builder_is_deterministic_with_a_seeded_rng_and_pins_a_golden_hash() {
    let build = || {
        let mut rng = ChaCha20Rng::seed_from_u64(4242);
        let mut fx = Fixture::new(30, &mut rng);
        let inputs = fx.fund_sender(&[5_000], &mut rng);
        fx.build(&inputs, 1, HEIGHT, &mut rng).unwrap()
    };
    let a = build();
    let b = build();
    assert_eq!(a.to_canonical_bytes(), b.to_canonical_bytes());
    // Pinned: a change in any derivation, domain tag, encoding or the builder's use of the
    // RNG changes this hash.
    assert_eq!(a.hash().to_hex(), GOLDEN_TX_HASH);
    assert_eq!(a.to_canonical_bytes().len(), 3500);
}

const GOLDEN_TX_HASH: &str = "72d8e02386fdbb57bd34be6ef00d2a593bc3dd3d2c1e5bf4bc4cfb315106c359";

#[test]
fn real_input_position_is_uniform() {
    // 11,000 rings from uniform decoys: each position should hold the real input ~1,000 times.
    let mut rng = ChaCha20Rng::seed_from_u64(101);
    let pool = random_outputs(400, TokenId(0), &mut rng);
    let mut counts = [0u32; RING_SIZE];
    for _ in 0..11_000 {
        let real_i = (rng.next_u64() % pool.len() as u64) as usize;
        let mut decoys = Vec::new();
        while decoys.len() < RING_SIZE - 1 {
            let d = pool[(rng.next_u64() % pool.len() as u64) as usize];
            if d != pool[real_i] && !decoys.contains(&d) {
                decoys.push(d);
            }
        }
        let (_, pos) = assemble_ring(pool[real_i], decoys).unwrap();
        counts[pos] += 1;
    }
    // Chi-square with 10 degrees of freedom; 29.6 is the 0.1% critical value.
    let chi2: f64 = counts.iter().map(|&c| (c as f64 - 1000.0).powi(2) / 1000.0).sum();
    assert!(chi2 < 29.6, "positions not uniform: {counts:?} chi2={chi2}");
}

#[test]
fn encoding_does_not_depend_on_the_real_position() {
    // The same ring and amounts signed from two different real positions: both encodings have
    // the same length and layout, and no field holds an index.
    let mut rng = ChaCha20Rng::seed_from_u64(102);
    let acct = AccountKey::random(&mut rng);
    let mut ring_outs = random_outputs(9, TokenId(0), &mut rng);
    let mut owned = vec![];
    for _ in 0..2 {
        let r = RistrettoPrivate::random(&mut rng);
        let (o, _) =
            TxOut::new(Amount::new(7, TokenId(0)), &acct.default_address(), &r, None).unwrap();
        ring_outs.push(o);
        owned.push(o);
    }
    ring_outs.sort_by_key(|o| o.target_key);
    let ring: Vec<RingMember> = ring_outs.iter().map(RingMember::from).collect();
    let msg = [3u8; 32];
    let pb = mcnode_crypto::Scalar::from(5u64);
    let pseudo = CompressedCommitment::from_point(&mcnode_tx::amount::commit(
        Amount::new(7, TokenId(0)),
        &pb,
    ));
    let mut encodings = vec![];
    for o in &owned {
        let v = o.view(&acct, 0).unwrap();
        let idx = ring_outs.iter().position(|m| m == o).unwrap();
        let sig =
            Clsag::sign(&msg, &ring, idx, &v.onetime_private, v.blinding.scalar(), &pb, &mut rng)
                .unwrap();
        sig.verify(&msg, &ring, &pseudo).unwrap();
        encodings.push(sig.to_canonical_bytes());
    }
    assert_eq!(encodings[0].len(), encodings[1].len());
    assert_eq!(encodings[0].len(), Clsag::encoded_len(RING_SIZE));
}

#[test]
fn ring_signatures_link_and_reject_wrong_signers() {
    let mut rng = ChaCha20Rng::seed_from_u64(103);
    let acct = AccountKey::random(&mut rng);
    let mut outs = random_outputs(10, TokenId(0), &mut rng);
    let r = RistrettoPrivate::random(&mut rng);
    let (mine, _) =
        TxOut::new(Amount::new(9, TokenId(0)), &acct.default_address(), &r, None).unwrap();
    outs.push(mine);
    outs.sort_by_key(|o| o.target_key);
    let idx = outs.iter().position(|o| *o == mine).unwrap();
    let ring: Vec<RingMember> = outs.iter().map(RingMember::from).collect();
    let v = mine.view(&acct, 0).unwrap();
    let pb = mcnode_crypto::Scalar::from(77u64);
    let pseudo = CompressedCommitment::from_point(&mcnode_tx::amount::commit(v.amount, &pb));
    let msg = [1u8; 32];
    let a = Clsag::sign(&msg, &ring, idx, &v.onetime_private, v.blinding.scalar(), &pb, &mut rng)
        .unwrap();
    let b =
        Clsag::sign(&[2u8; 32], &ring, idx, &v.onetime_private, v.blinding.scalar(), &pb, &mut rng)
            .unwrap();
    assert_eq!(a.key_image, b.key_image, "linkable: same output, same key image");
    a.verify(&msg, &ring, &pseudo).unwrap();
    assert_eq!(a.verify(&[9u8; 32], &ring, &pseudo), Err(RingError::Invalid));
    // A pseudo-output of another amount does not verify (commitment column).
    let wrong = CompressedCommitment::from_point(&mcnode_tx::amount::commit(
        Amount::new(10, TokenId(0)),
        &pb,
    ));
    assert_eq!(a.verify(&msg, &ring, &wrong), Err(RingError::Invalid));
    // Signing at a position one does not own is refused.
    let other = (idx + 1) % RING_SIZE;
    assert_eq!(
        Clsag::sign(&msg, &ring, other, &v.onetime_private, v.blinding.scalar(), &pb, &mut rng),
        Err(RingError::SecretMismatch)
    );
    // MLSAG: same guarantees.
    let m = Mlsag::sign(&msg, &ring, idx, &v.onetime_private, v.blinding.scalar(), &pb, &mut rng)
        .unwrap();
    m.verify(&msg, &ring, &pseudo).unwrap();
    assert_eq!(m.key_image, a.key_image);
    assert_eq!(m.verify(&msg, &ring, &wrong), Err(RingError::Invalid));
    assert_eq!(Mlsag::from_canonical_bytes(&m.to_canonical_bytes()).unwrap(), m);
    assert_eq!(Clsag::from_canonical_bytes(&a.to_canonical_bytes()).unwrap(), a);
}

#[test]
fn addresses_round_trip_pin_golden_text_and_reject_every_typo() {
    let acct = AccountKey::new(
        RistrettoPrivate::from_scalar(mcnode_crypto::Scalar::from(1001u64)),
        RistrettoPrivate::from_scalar(mcnode_crypto::Scalar::from(2002u64)),
    );
    let a = AddressString { network: Network::Mainnet, address: acct.default_address() };
    let text = a.to_string();
    assert_eq!(text, GOLDEN_ADDRESS);
    assert_eq!(text.parse::<AddressString>().unwrap(), a);
    let t = AddressString { network: Network::Testnet, ..a }.to_string();
    assert!(t.starts_with("mct"));
    assert_eq!(t.parse::<AddressString>().unwrap().network, Network::Testnet);

    // Every single-character substitution is rejected.
    let alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let chars: Vec<char> = text.chars().collect();
    for i in 3..chars.len() {
        for c in alphabet.chars().filter(|c| *c != chars[i]) {
            let mut typo = chars.clone();
            typo[i] = c;
            let typo: String = typo.into_iter().collect();
            assert!(typo.parse::<AddressString>().is_err(), "typo accepted at {i}");
        }
    }
    // Swapping the prefix to another network is caught by the network byte.
    let swapped = format!("mcd{}", &text[3..]);
    assert_eq!(swapped.parse::<AddressString>(), Err(AddressError::NetworkMismatch));
    assert_eq!("xyz123".parse::<AddressString>(), Err(AddressError::UnknownPrefix));
    assert_eq!(
        "mcm0OIl".parse::<AddressString>(),
        Err(AddressError::InvalidCharacter { position: 3 })
    );
    assert!(matches!("mcm2222".parse::<AddressString>(), Err(AddressError::Length { .. })));
}

const GOLDEN_ADDRESS: &str = "mcm4KN9MrD9isakQ3KjTz7FSYskxFrqqgRKptBMRG3AdZS5Py5qAjUevfSyiUVHNyvMTpoGqbU45ZkYSan9jy8mEVjWdnTnHgG";

#[test]
fn other_tokens_use_their_own_generator_and_minimum_fee() {
    use mcnode_tx::builder::{BuildError, TransactionBuilder};
    use mcnode_tx::testkit::{InMemoryLedger, UniformDecoys, fund, test_context};
    use mcnode_tx::validation::{FeeConfig, TxError, ValidationContext};
    let mut rng = ChaCha20Rng::seed_from_u64(104);
    let sender = AccountKey::random(&mut rng);
    let recipient = AccountKey::random(&mut rng);
    let mut ledger = InMemoryLedger::new();
    ledger.add_outputs(random_outputs(40, TokenId(1), &mut rng));
    let t1 = fund(&sender, &[900], TokenId(1), &mut rng);
    let t0 = fund(&sender, &[900], TokenId(0), &mut rng);
    ledger.add_outputs(t1.iter().chain(&t0).map(|s| s.tx_out));

    let mut b = TransactionBuilder::new(&sender, TokenId(1), 3, HEIGHT + 50);
    b.add_input(t1[0].clone()).add_output(100, &recipient.default_address(), None);
    let tx = b.build(&mut UniformDecoys::new(ledger.outputs(), 1), &mut rng).unwrap();
    validate_stateless(&tx, &test_context(HEIGHT)).unwrap();
    validate_with_ledger(&tx, &ledger).unwrap();
    let paid: Vec<Amount> = tx
        .prefix
        .outputs
        .iter()
        .filter_map(|o| o.view(&recipient, 0).ok())
        .map(|v| v.amount)
        .collect();
    assert_eq!(paid, vec![Amount::new(100, TokenId(1))]);

    // The fee is checked against token 1's own minimum.
    let strict = ValidationContext {
        fees: FeeConfig::new([(TokenId(0), 1), (TokenId(1), 4)]),
        height: HEIGHT,
    };
    assert!(matches!(
        validate_stateless(&tx, &strict),
        Err(TxError::FeeTooLow { fee: 3, minimum: 4 })
    ));
    // Relabelling the token and mixing tokens are refused by the validator: see `attacks.rs`.
    // The builder refuses to spend a token-0 input in a token-1 transaction.
    let mut mixed = TransactionBuilder::new(&sender, TokenId(1), 3, HEIGHT + 50);
    mixed.add_input(t1[0].clone()).add_input(t0[0].clone()).add_output(
        100,
        &recipient.default_address(),
        None,
    );
    assert_eq!(
        mixed.build(&mut UniformDecoys::new(ledger.outputs(), 2), &mut rng),
        Err(BuildError::WrongToken { input: 1 })
    );
}

#[test]
fn the_builder_never_puts_an_output_in_two_rings() {
    use mcnode_tx::builder::{BuildError, TransactionBuilder};
    use mcnode_tx::testkit::UniformDecoys;
    // 16 inputs over a ledger barely large enough (176 members needed, 200 outputs): every
    // ring member is distinct across the whole transaction, and the result validates.
    let mut rng = ChaCha20Rng::seed_from_u64(105);
    let mut fx = Fixture::new(184, &mut rng);
    let inputs = fx.fund_sender(&[1_000; 16], &mut rng);
    let tx = fx.build(&inputs, 1, HEIGHT, &mut rng).unwrap();
    let mut keys: Vec<_> =
        tx.prefix.inputs.iter().flat_map(|i| i.ring.iter().map(|m| m.target_key)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 16 * RING_SIZE);
    validate_stateless(&tx, &ctx()).unwrap();
    validate_with_ledger(&tx, &fx.ledger).unwrap();
    // The same output twice is refused before any ring is drawn.
    let mut b = TransactionBuilder::new(&fx.sender, TokenId(0), TEST_FEE, HEIGHT + 100);
    b.add_input(inputs[0].clone()).add_input(inputs[0].clone());
    b.add_output(1, &fx.recipient.default_address(), None);
    assert_eq!(
        b.build(&mut UniformDecoys::new(fx.ledger.outputs(), 1), &mut rng),
        Err(BuildError::DuplicateInput { input: 1 })
    );
}
