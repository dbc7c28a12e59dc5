//! One transaction, one hash: the hash consensus nominates covers the whole transaction.
//!
//! The attack: a client puts two of its own outputs of equal value in one ring and signs the
//! same prefix twice, once as the owner of each. Both variants are valid, have the same prefix
//! and different key images. A hash of the prefix alone would name both, so two nodes holding
//! different variants would agree on one SCP value and form different blocks.

// Test helpers: a fixture that fails to build is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::{HEIGHT, ctx, setup};
use mcnode_crypto::{CompressedPoint, domain};
use mcnode_tx::address::ADDRESS_CHECKSUM_DOMAIN;
use mcnode_tx::builder::{RingSource, SpendableOutput, TransactionBuilder};
use mcnode_tx::membership::{MERKLE_EMPTY_DOMAIN, MERKLE_NODE_DOMAIN};
use mcnode_tx::ring::CurveScalar;
use mcnode_tx::testkit::TEST_FEE;
use mcnode_tx::tx::{TX_HASH_DOMAIN, TX_SIGNING_DOMAIN, Tx};
use mcnode_tx::tx_out::{TXOUT_HASH_DOMAIN, TXOUT_LEAF_DOMAIN};
use mcnode_tx::validation::{TxError, validate_stateless, validate_with_ledger, verify_batch};
use mcnode_tx::{CompressedCommitment, Encode, KeyImage, TokenId, TxOut};
use mcnode_types::Hash32;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Puts `other` (the client's second output) and nine fixed decoys in every ring.
struct WithOther {
    other: TxOut,
    decoys: Vec<TxOut>,
}

impl RingSource for WithOther {
    fn decoys(&mut self, real: &TxOut, count: usize) -> Vec<TxOut> {
        let mut v = vec![self.other];
        v.extend(self.decoys.iter().filter(|d| *d != real).take(count - 1).copied());
        v
    }
}

/// The two variants: the same payment, signed once as the owner of each of two equal outputs.
fn two_variants() -> (common::Setup, Tx, Tx) {
    let mut s = setup(300);
    let pair = s.fx.fund_sender(&[7_000, 7_000], &mut s.rng);
    let decoys: Vec<TxOut> = s.fx.ledger.outputs()[..9].to_vec();
    let build = |real: &SpendableOutput, other: &SpendableOutput| {
        // The same RNG stream: the same outputs, blindings and range proof.
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut b = TransactionBuilder::new(&s.fx.sender, TokenId(0), TEST_FEE, HEIGHT + 100);
        b.add_input(real.clone()).add_output(1, &s.fx.recipient.default_address(), None);
        let mut source = WithOther { other: other.tx_out, decoys: decoys.clone() };
        b.build(&mut source, &mut rng).unwrap()
    };
    let a = build(&pair[0], &pair[1]);
    let b = build(&pair[1], &pair[0]);
    (s, a, b)
}

#[test]
fn two_variants_of_one_prefix_get_different_hashes() {
    let (s, a, b) = two_variants();
    // The attack is real: both variants are valid, with one prefix and two key images.
    assert_eq!(a.prefix, b.prefix);
    assert_ne!(a.key_images(), b.key_images());
    for tx in [&a, &b] {
        validate_stateless(tx, &ctx()).unwrap();
        validate_with_ledger(tx, &s.fx.ledger).unwrap();
    }
    // One transaction, one hash.
    assert_ne!(a.hash(), b.hash());
    // And one block holds at most one of them: they create the same outputs.
    let r = verify_batch(&[a, b], &ctx(), &s.fx.ledger);
    assert!(r[0].is_ok(), "{:?}", r[0]);
    assert!(matches!(r[1], Err(TxError::OutputKeyInBatch { other: 0 })), "{:?}", r[1]);
}

#[test]
fn the_hash_covers_every_part_of_the_transaction() {
    let (_, tx, _) = two_variants();
    let h = tx.hash();
    let changed = |f: &dyn Fn(&mut Tx)| {
        let mut t = tx.clone();
        f(&mut t);
        assert_ne!(t, tx, "the mutation must change the transaction");
        t.hash()
    };
    type Mutation = Box<dyn Fn(&mut Tx)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        ("fee", Box::new(|t| t.prefix.fee += 1)),
        ("tombstone", Box::new(|t| t.prefix.tombstone_block += 1)),
        ("ring member", Box::new(|t| t.prefix.inputs[0].ring.swap(0, 1))),
        ("output", Box::new(|t| t.prefix.outputs[0].masked_amount.masked_value ^= 1)),
        (
            "key image",
            Box::new(|t| {
                t.signature.ring_signatures[0].key_image = KeyImage(CompressedPoint([7; 32]))
            }),
        ),
        (
            "ring signature response",
            Box::new(|t| t.signature.ring_signatures[0].responses[3] = CurveScalar([1; 32])),
        ),
        (
            "commitment key image",
            Box::new(|t| {
                t.signature.ring_signatures[0].commitment_key_image = CompressedPoint([5; 32])
            }),
        ),
        (
            "pseudo-output",
            Box::new(|t| {
                t.signature.pseudo_outputs[0] = CompressedCommitment(CompressedPoint([3; 32]))
            }),
        ),
        ("range proof", Box::new(|t| t.signature.range_proof[10] ^= 1)),
    ];
    for (what, f) in mutations {
        assert_ne!(changed(&*f), h, "the hash does not cover the {what}");
    }
    // It is the domain-separated digest of the whole canonical encoding.
    assert_eq!(h, Hash32::digest(TX_HASH_DOMAIN, &tx.to_canonical_bytes()));
}

#[test]
fn the_tx_hash_tag_is_used_for_nothing_else() {
    let mut tags: Vec<&[u8]> = vec![
        TX_HASH_DOMAIN,
        TX_SIGNING_DOMAIN,
        TXOUT_LEAF_DOMAIN,
        TXOUT_HASH_DOMAIN,
        ADDRESS_CHECKSUM_DOMAIN,
        MERKLE_NODE_DOMAIN,
        MERKLE_EMPTY_DOMAIN,
    ];
    tags.extend(domain::ALL.iter().map(|t| t.as_bytes()));
    for (i, a) in tags.iter().enumerate() {
        for b in &tags[i + 1..] {
            assert_ne!(a, b, "a tag names two hashes");
        }
    }
    // The signing message and the hash of the same transaction differ.
    let (_, tx, _) = two_variants();
    assert_ne!(tx.signing_message(), tx.hash().0);
}
