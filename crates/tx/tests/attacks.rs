//! Attacks by someone who holds every key of the transaction and signs whatever it builds.
//! Each test builds the attack so that every other rule passes (signatures re-made over the
//! tampered data, the balance kept where another rule is targeted), then asserts the exact
//! refusal, and where it helps shows why that rule and no other refuses it.

// Test helpers: a fixture that fails to build is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::{HEIGHT, ctx, setup};
use curve25519_dalek::{RistrettoPoint, Scalar, traits::Identity};
use mcnode_crypto::{CompressedPoint, RistrettoPrivate};
use mcnode_tx::amount::{commit, public_value_point, value_generator};
use mcnode_tx::builder::{RingSource, SpendableOutput, TransactionBuilder, assemble_ring};
use mcnode_tx::ring::{Clsag, RingError, RingMember};
use mcnode_tx::testkit::{InMemoryLedger, UniformDecoys, fund, random_outputs, test_context};
use mcnode_tx::tx::{Tx, TxIn, TxPrefix, TxSignature, signing_message};
use mcnode_tx::validation::stateless::check_balance;
use mcnode_tx::validation::{TxError, validate_stateless, validate_with_ledger, verify_batch};
use mcnode_tx::{AccountKey, Amount, CompressedCommitment, KeyImage, TokenId, TxOut};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// Asserts that `$r` is exactly the refusal `$p`, printing what it was otherwise.
macro_rules! assert_refused {
    ($r:expr, $p:pat) => {{
        let r = $r;
        assert!(matches!(r, $p), "expected {}, got {r:?}", stringify!($p));
    }};
}

fn point(c: &CompressedCommitment) -> RistrettoPoint {
    c.0.decompress().unwrap()
}

/// `Σ pseudo-outputs − Σ outputs − fee·H_t` as the validator computes it.
fn residual(tx: &Tx) -> RistrettoPoint {
    let mut acc = RistrettoPoint::identity();
    for p in &tx.signature.pseudo_outputs {
        acc += point(p);
    }
    for o in &tx.prefix.outputs {
        acc -= point(&o.masked_amount.commitment);
    }
    acc - public_value_point(tx.prefix.token_id, tx.prefix.fee)
}

#[test]
fn value_shifted_between_pseudo_outputs_is_refused_by_the_commitment_column() {
    // Move δ from input 1's pseudo-output to input 0's: the sum, hence the balance, is
    // unchanged, and the signatures sign a message binding the shifted pair.
    let mut s = setup(400);
    let h = value_generator(TokenId(0)) * Scalar::from(5_000u64);
    let mut honest = Vec::new();
    let tx = s.tampered(|_, pseudo, _| {
        honest = pseudo.clone();
        pseudo[0] = CompressedCommitment::from_point(&(point(&pseudo[0]) + h));
        pseudo[1] = CompressedCommitment::from_point(&(point(&pseudo[1]) - h));
    });
    check_balance(&tx).unwrap();
    assert_refused!(
        validate_stateless(&tx, &ctx()),
        Err(TxError::RingSignature { input: 0, source: RingError::Invalid })
    );
    // The signature is right for the message; what fails is the claim that the shifted
    // pseudo-output commits to the real input's value (`C_π − C'` is no longer `z·G`).
    let ring: Vec<RingMember> = tx.prefix.inputs[0].ring.iter().map(RingMember::from).collect();
    let sig = &tx.signature.ring_signatures[0];
    sig.verify(&tx.signing_message(), &ring, &honest[0]).unwrap();
}

#[test]
fn relabelling_the_token_with_fee_and_all_else_unchanged_is_unbalanced() {
    // A token-1 payment relabelled token 2 (fee 3 meets token 2's minimum of 1 too), re-signed:
    // only the fee term changes generator, so the balance misses by exactly fee·(H_1 − H_2).
    let mut rng = ChaCha20Rng::seed_from_u64(401);
    let sender = AccountKey::random(&mut rng);
    let mut ledger = InMemoryLedger::new();
    ledger.add_outputs(random_outputs(40, TokenId(1), &mut rng));
    let funds = fund(&sender, &[900], TokenId(1), &mut rng);
    ledger.add_outputs(funds.iter().map(|f| f.tx_out));
    let build = |tamper: bool, rng: &mut ChaCha20Rng| {
        let mut b = TransactionBuilder::new(&sender, TokenId(1), 3, HEIGHT + 50);
        b.add_input(funds[0].clone());
        b.add_output(100, &AccountKey::random(rng).default_address(), None);
        let mut decoys = UniformDecoys::new(ledger.outputs(), 1);
        b.build_tampered(&mut decoys, rng, |p, _, _| {
            if tamper {
                p.token_id = TokenId(2);
            }
        })
        .unwrap()
    };
    validate_stateless(&build(false, &mut rng), &test_context(HEIGHT)).unwrap();
    let tx = build(true, &mut rng);
    assert_eq!((tx.prefix.token_id, tx.prefix.fee), (TokenId(2), 3));
    assert_refused!(validate_stateless(&tx, &test_context(HEIGHT)), Err(TxError::Unbalanced));
    let fee = Scalar::from(3u64);
    assert_eq!(residual(&tx), (value_generator(TokenId(1)) - value_generator(TokenId(2))) * fee);
}

/// Builds and signs like the builder, without its token check: inputs in any token, outputs
/// and fee in `token`. What a client that skips the builder's checks can send.
fn forge_mixed(
    sender: &AccountKey,
    inputs: &[SpendableOutput],
    ledger: &InMemoryLedger,
    token: TokenId,
    fee: u64,
    rng: &mut ChaCha20Rng,
) -> Tx {
    let mut decoys = UniformDecoys::new(ledger.outputs(), rng.next_u64());
    let mut used: std::collections::HashSet<CompressedPoint> =
        inputs.iter().map(|i| i.tx_out.target_key).collect();
    let mut prepared = Vec::new();
    for i in inputs {
        let owned = i.tx_out.view(sender, 0).unwrap();
        let d = decoys.decoys_excluding(&i.tx_out, 10, &used);
        let (ring, real) = assemble_ring(i.tx_out, d).unwrap();
        used.extend(ring.iter().map(|m| m.target_key));
        prepared.push((ring, real, owned));
    }
    prepared.sort_by(|a, b| a.0.iter().map(|m| m.target_key).cmp(b.0.iter().map(|m| m.target_key)));
    let total: u64 = inputs.iter().map(|i| i.amount.value).sum();
    let to = AccountKey::random(rng).default_address();
    let (out, blinding) =
        TxOut::new(Amount::new(total - fee, token), &to, &RistrettoPrivate::random(rng), None)
            .unwrap();
    let range_proof =
        mcnode_tx::range::prove(&[(total - fee, *blinding.scalar())], token, rng).unwrap();
    let mut pseudo_blindings: Vec<Scalar> =
        (1..prepared.len()).map(|_| Scalar::random(rng)).collect();
    let partial: Scalar = pseudo_blindings.iter().sum();
    pseudo_blindings.push(blinding.scalar() - partial);
    // Each pseudo-output commits to its input's own amount, in the input's own token.
    let pseudo_outputs: Vec<CompressedCommitment> = prepared
        .iter()
        .zip(&pseudo_blindings)
        .map(|(p, b)| CompressedCommitment::from_point(&commit(p.2.amount, b)))
        .collect();
    let prefix = TxPrefix {
        inputs: prepared.iter().map(|p| TxIn { ring: p.0.clone() }).collect(),
        outputs: vec![out],
        fee,
        token_id: token,
        tombstone_block: HEIGHT + 50,
    };
    let message = signing_message(&prefix, &pseudo_outputs, &range_proof);
    let ring_signatures = prepared
        .iter()
        .zip(&pseudo_blindings)
        .map(|((ring, real, owned), pb)| {
            let members: Vec<RingMember> = ring.iter().map(RingMember::from).collect();
            let (x, b) = (&owned.onetime_private, owned.blinding.scalar());
            Clsag::sign(&message, &members, *real, x, b, pb, rng).unwrap()
        })
        .collect();
    Tx { prefix, signature: TxSignature { pseudo_outputs, ring_signatures, range_proof } }
}

#[test]
fn mixing_tokens_is_refused_by_the_validator() {
    let mut rng = ChaCha20Rng::seed_from_u64(402);
    let sender = AccountKey::random(&mut rng);
    let mut ledger = InMemoryLedger::new();
    ledger.add_outputs(random_outputs(40, TokenId(1), &mut rng));
    let t1 = fund(&sender, &[900], TokenId(1), &mut rng);
    let t0 = fund(&sender, &[700], TokenId(0), &mut rng);
    ledger.add_outputs(t1.iter().chain(&t0).map(|s| s.tx_out));

    // The forger is sound: with token-1 inputs only, its transaction is valid.
    let pure = forge_mixed(&sender, &t1, &ledger, TokenId(1), 3, &mut rng);
    validate_stateless(&pure, &test_context(HEIGHT)).unwrap();
    validate_with_ledger(&pure, &ledger).unwrap();

    // A token-0 input spent in a token-1 transaction: every signature and membership proof is
    // valid, and the balance misses by exactly the token-0 value times (H_0 − H_1).
    let mixed =
        forge_mixed(&sender, &[t1[0].clone(), t0[0].clone()], &ledger, TokenId(1), 3, &mut rng);
    validate_with_ledger(&mixed, &ledger).unwrap();
    assert_refused!(validate_stateless(&mixed, &test_context(HEIGHT)), Err(TxError::Unbalanced));
    assert!(matches!(
        verify_batch(std::slice::from_ref(&mixed), &test_context(HEIGHT), &ledger)[0],
        Err(TxError::Unbalanced)
    ));
    let v0 = Scalar::from(700u64);
    assert_eq!(residual(&mixed), (value_generator(TokenId(0)) - value_generator(TokenId(1))) * v0);
}

#[test]
fn a_foreign_key_image_is_refused_by_the_ring_signature() {
    // Input 1 claims the key image of another output the sender owns (a valid point, not a
    // duplicate in the transaction, not spent): only the signature can tell it is not the
    // image of the key that signed.
    let mut s = setup(403);
    let extra = s.fx.fund_sender(&[5], &mut s.rng);
    let foreign = KeyImage::from_onetime_private(
        &extra[0].tx_out.view(&s.fx.sender, 0).unwrap().onetime_private,
    );
    let mut tx = s.valid();
    assert!(!tx.key_images().contains(&foreign));
    tx.signature.ring_signatures[1].key_image = foreign;
    validate_with_ledger(&tx, &s.fx.ledger).unwrap();
    assert_refused!(
        validate_stateless(&tx, &ctx()),
        Err(TxError::RingSignature { input: 1, source: RingError::Invalid })
    );
}
