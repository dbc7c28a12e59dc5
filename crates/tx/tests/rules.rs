//! One test per validation rule: each breaks exactly that rule in an otherwise valid
//! transaction (signatures re-made over the tampered data where the rule is checked after
//! them) and expects the error naming it.

mod common;

use common::{HEIGHT, ctx, setup};
use mcnode_crypto::CompressedPoint;
use mcnode_tx::LedgerView;
use mcnode_tx::membership::MembershipError;
use mcnode_tx::range::RangeProofError;
use mcnode_tx::ring::{CurveScalar, RingError};
use mcnode_tx::testkit::InMemoryLedger;
use mcnode_tx::tx::MAX_TOMBSTONE_BLOCKS;
use mcnode_tx::validation::{
    FeeConfig, TxError, ValidationContext, validate_stateless, validate_with_ledger, verify_batch,
};
use mcnode_tx::{CompressedCommitment, EncryptedMemo, TokenId};

fn stateless(tx: &mcnode_tx::tx::Tx) -> Result<(), TxError> {
    validate_stateless(tx, &ctx())
}

#[test]
fn valid_transaction_passes_every_rule() {
    let mut s = setup(1);
    let tx = s.valid();
    stateless(&tx).unwrap();
    validate_with_ledger(&tx, &s.fx.ledger).unwrap();
    assert!(verify_batch(&[tx], &ctx(), &s.fx.ledger)[0].is_ok());
}

#[test]
fn input_count() {
    let mut s = setup(2);
    let mut tx = s.valid();
    tx.prefix.inputs.clear();
    assert!(matches!(stateless(&tx), Err(TxError::InputCount { count: 0 })));
    let mut tx = s.valid();
    let first = tx.prefix.inputs[0].clone();
    tx.prefix.inputs = vec![first; 17];
    assert!(matches!(stateless(&tx), Err(TxError::InputCount { count: 17 })));
}

#[test]
fn output_count() {
    let mut s = setup(3);
    let mut tx = s.valid();
    tx.prefix.outputs.clear();
    assert!(matches!(stateless(&tx), Err(TxError::OutputCount { count: 0 })));
    let mut tx = s.valid();
    let o = tx.prefix.outputs[0];
    tx.prefix.outputs = vec![o; 17];
    assert!(matches!(stateless(&tx), Err(TxError::OutputCount { count: 17 })));
}

#[test]
fn ring_size() {
    let mut s = setup(4);
    let mut tx = s.valid();
    tx.prefix.inputs[1].ring.pop();
    assert!(matches!(stateless(&tx), Err(TxError::RingSize { input: 1, size: 10 })));
}

#[test]
fn ring_sorted_and_unique() {
    let mut s = setup(5);
    let mut tx = s.valid();
    tx.prefix.inputs[0].ring.swap(3, 4);
    assert!(matches!(stateless(&tx), Err(TxError::RingNotSorted { input: 0 })));
    let mut tx = s.valid();
    tx.prefix.inputs[0].ring[5] = tx.prefix.inputs[0].ring[4];
    assert!(matches!(stateless(&tx), Err(TxError::RingNotSorted { input: 0 })));
}

#[test]
fn inputs_sorted() {
    let mut s = setup(6);
    let mut tx = s.valid();
    tx.prefix.inputs.swap(0, 1);
    tx.signature.ring_signatures.swap(0, 1);
    tx.signature.pseudo_outputs.swap(0, 1);
    assert!(matches!(stateless(&tx), Err(TxError::InputsNotSorted)));
}

#[test]
fn outputs_sorted() {
    let mut s = setup(7);
    let tx = s.tampered(|p, _, _| p.outputs.swap(0, 1));
    assert!(matches!(stateless(&tx), Err(TxError::OutputsNotSorted)));
}

#[test]
fn one_pseudo_output_and_signature_per_input() {
    let mut s = setup(8);
    let mut tx = s.valid();
    tx.signature.pseudo_outputs.pop();
    assert!(matches!(
        stateless(&tx),
        Err(TxError::SignatureCount { inputs: 2, pseudo_outputs: 1, .. })
    ));
    let mut tx = s.valid();
    tx.signature.ring_signatures.pop();
    assert!(matches!(stateless(&tx), Err(TxError::SignatureCount { ring_signatures: 1, .. })));
}

#[test]
fn key_images_unique_in_tx() {
    // Spending one output twice puts its key in two rings, which the ring-member rule refuses
    // first; this rule is the second line: the same key image claimed by two inputs (checked
    // before any signature, so the forged image is not what refuses it).
    let mut s = setup(9);
    let mut tx = s.valid();
    let first = tx.signature.ring_signatures[0].key_image;
    tx.signature.ring_signatures[1].key_image = first;
    assert!(matches!(
        stateless(&tx),
        Err(TxError::DuplicateKeyImage { key_image }) if key_image == first
    ));
}

#[test]
fn ring_members_unique_across_rings() {
    // Replace a decoy of ring 1 with a member of ring 0 that sorts into the same slot, before
    // signing: every ring stays sorted, every signature and membership proof is valid, and
    // one ledger output sits in two rings.
    let mut s = setup(24);
    let reals: Vec<_> = s.inputs.iter().map(|i| i.tx_out.target_key).collect();
    let mut placed = None;
    let tx = s.tampered(|p, _, _| {
        let (r0, r1) = (p.inputs[0].ring.clone(), &mut p.inputs[1].ring);
        for m in r0.iter().filter(|m| !reals.contains(&m.target_key)) {
            let pos = r1.partition_point(|x| x.target_key < m.target_key);
            if r1.get(pos).is_some_and(|x| x.target_key == m.target_key) {
                continue;
            }
            // Replace the neighbour below or above, whichever is a decoy.
            for k in [pos.checked_sub(1), Some(pos).filter(|&k| k < r1.len())].into_iter().flatten()
            {
                if !reals.contains(&r1[k].target_key) {
                    r1[k] = *m;
                    placed = Some(k);
                    return;
                }
            }
        }
    });
    let member = placed.expect("a ring-0 member fits a slot of ring 1");
    validate_with_ledger(&tx, &s.fx.ledger).unwrap();
    assert!(matches!(
        stateless(&tx),
        Err(TxError::DuplicateRingMember { input: 1, member: m, other_input: 0 }) if m == member
    ));
}

#[test]
fn every_output_has_a_memo() {
    let mut s = setup(25);
    // Every output the builder makes, the change included, carries a memo of the one size.
    let tx = s.valid();
    assert!(tx.prefix.outputs.iter().all(|o| o.memo.is_some()));
    // An output without one, re-signed: refused by the memo rule and no other.
    let tx = s.tampered(|p, _, _| p.outputs[1].memo = None);
    validate_with_ledger(&tx, &s.fx.ledger).unwrap();
    assert!(matches!(stateless(&tx), Err(TxError::MissingMemo { output: 1 })));
}

#[test]
fn output_target_keys_unique_in_tx() {
    let mut s = setup(10);
    let tx = s.tampered(|p, _, _| p.outputs[1].target_key = p.outputs[0].target_key);
    assert!(matches!(stateless(&tx), Err(TxError::DuplicateOutputTargetKey { .. })));
}

#[test]
fn output_keys_are_points() {
    let mut s = setup(11);
    let tx = s.tampered(|p, _, _| p.outputs[0].target_key = CompressedPoint([0xff; 32]));
    assert!(matches!(stateless(&tx), Err(TxError::InvalidOutputKey { output: 0 })));
}

#[test]
fn tombstone_window() {
    let mut s = setup(12);
    let t = 30_000;
    let tx = s.tampered(|p, _, _| p.tombstone_block = t);
    let at = |height| validate_stateless(&tx, &ValidationContext { height, ..ctx() });
    at(t - 1).unwrap();
    assert!(matches!(at(t), Err(TxError::TombstoneExpired { .. })));
    assert!(matches!(at(t + 5), Err(TxError::TombstoneExpired { .. })));
    at(t - MAX_TOMBSTONE_BLOCKS).unwrap();
    assert!(matches!(
        at(t - MAX_TOMBSTONE_BLOCKS - 1),
        Err(TxError::TombstoneTooFar { max: 20_160, .. })
    ));
}

#[test]
fn fee_token_configured_and_minimum() {
    let mut s = setup(13);
    let tx = s.valid();
    let fee = tx.prefix.fee;
    let with = |fees| validate_stateless(&tx, &ValidationContext { fees, height: HEIGHT });
    with(FeeConfig::new([(TokenId(0), fee)])).unwrap();
    assert!(matches!(
        with(FeeConfig::new([(TokenId(0), fee + 1)])),
        Err(TxError::FeeTooLow { .. })
    ));
    assert!(matches!(
        with(FeeConfig::new([(TokenId(1), 1)])),
        Err(TxError::UnknownToken { token: TokenId(0) })
    ));
}

#[test]
fn pseudo_outputs_are_points() {
    let mut s = setup(14);
    let tx =
        s.tampered(|_, pseudo, _| pseudo[1] = CompressedCommitment(CompressedPoint([0xff; 32])));
    assert!(matches!(stateless(&tx), Err(TxError::InvalidPseudoOutput { input: 1 })));
}

#[test]
fn balance() {
    let mut s = setup(15);
    // Claim one unit more of fee than the commitments carry; everything is signed.
    let tx = s.tampered(|p, _, _| p.fee += 1);
    assert!(matches!(stateless(&tx), Err(TxError::Unbalanced)));
}

#[test]
fn ring_signatures_verify() {
    let mut s = setup(16);
    let valid = s.valid();
    // A changed prefix field invalidates the signature over it.
    let mut tx = valid.clone();
    tx.prefix.tombstone_block -= 1;
    assert!(matches!(
        stateless(&tx),
        Err(TxError::RingSignature { input: 0, source: RingError::Invalid })
    ));
    // A changed response.
    let mut tx = valid.clone();
    tx.signature.ring_signatures[1].responses[2] =
        CurveScalar::from_scalar(&mcnode_crypto::Scalar::ONE);
    assert!(matches!(
        stateless(&tx),
        Err(TxError::RingSignature { input: 1, source: RingError::Invalid })
    ));
    // A key image that is not the signer's (a valid point, not repeated): the signature
    // refuses it. See also `attacks.rs` for a key image of another output the signer owns.
    let mut tx = valid.clone();
    tx.signature.ring_signatures[0].key_image =
        mcnode_tx::KeyImage(tx.signature.ring_signatures[0].commitment_key_image);
    assert!(matches!(
        stateless(&tx),
        Err(TxError::RingSignature { input: 0, source: RingError::Invalid })
    ));
    // A non-canonical scalar.
    let mut tx = valid;
    tx.signature.ring_signatures[0].responses[0] = CurveScalar([0xff; 32]);
    assert!(matches!(
        stateless(&tx),
        Err(TxError::RingSignature { source: RingError::NonCanonicalScalar, .. })
    ));
}

#[test]
fn range_proof_verifies() {
    let mut s = setup(17);
    let other = s.valid().signature.range_proof;
    let tx = s.tampered(|_, _, proof| *proof = other);
    assert!(matches!(stateless(&tx), Err(TxError::RangeProof(RangeProofError::Invalid))));
    let tx = s.tampered(|_, _, proof| proof.truncate(40));
    assert!(matches!(stateless(&tx), Err(TxError::RangeProof(RangeProofError::Malformed))));
}

#[test]
fn ring_members_in_ledger() {
    let mut s = setup(18);
    let tx = s.valid();
    let missing = tx.prefix.inputs[1].ring[7];
    let mut partial = InMemoryLedger::new();
    partial.add_outputs(s.fx.ledger.outputs().iter().copied().filter(|o| *o != missing));
    assert!(matches!(
        validate_with_ledger(&tx, &partial),
        Err(TxError::RingMemberNotInLedger { input: 1, member: 7 })
    ));
}

#[test]
fn ring_members_match_the_ledger_by_membership_proof() {
    let mut s = setup(19);
    // A ring member whose memo differs from the ledger output's: same keys and commitment
    // (so the signature is valid), different leaf.
    let tx = s.tampered(|p, _, _| p.inputs[0].ring[2].memo = Some(EncryptedMemo([9; 66])));
    stateless(&tx).unwrap();
    assert!(matches!(
        validate_with_ledger(&tx, &s.fx.ledger),
        Err(TxError::MembershipProof {
            input: 0,
            member: 2,
            source: MembershipError::RootMismatch
        })
    ));
}

#[test]
fn key_images_unspent() {
    let mut s = setup(20);
    let tx = s.valid();
    let mut ledger = s.fx.ledger.clone();
    ledger.add_key_images([tx.signature.ring_signatures[1].key_image]);
    assert!(matches!(validate_with_ledger(&tx, &ledger), Err(TxError::KeyImageSpent { .. })));
}

#[test]
fn output_public_keys_new() {
    let mut s = setup(21);
    let tx = s.valid();
    let mut ledger = s.fx.ledger.clone();
    ledger.add_outputs([tx.prefix.outputs[1]]);
    assert!(ledger.output_index(&tx.prefix.outputs[1].public_key).unwrap().is_some());
    assert!(matches!(
        validate_with_ledger(&tx, &ledger),
        Err(TxError::OutputAlreadyInLedger { .. })
    ));
}

#[test]
fn batch_names_each_culprit_and_rejects_double_spends_across_txs() {
    let mut s = setup(22);
    let good = s.valid();
    let also_good = s.valid(); // spends the same two outputs: same key images
    let other = s.valid().signature.range_proof;
    let bad_range = s.tampered(|_, _, proof| *proof = other);
    let mut bad_sig = s.valid();
    bad_sig.prefix.tombstone_block -= 1;
    let r = verify_batch(&[good, bad_range, bad_sig, also_good], &ctx(), &s.fx.ledger);
    assert!(r[0].is_ok());
    assert!(matches!(r[1], Err(TxError::RangeProof(RangeProofError::Invalid))));
    assert!(matches!(r[2], Err(TxError::RingSignature { .. })));
    assert!(matches!(r[3], Err(TxError::KeyImageInBatch { other: 0 })));
}

#[test]
fn batch_rejects_an_output_key_created_twice() {
    // Two valid transactions spending different outputs, built from the same RNG seed: their
    // outputs reuse the same per-output secrets, hence the same output public keys.
    let s = setup(23);
    let build = |inputs: &[mcnode_tx::builder::SpendableOutput]| {
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(5);
        s.fx.build(inputs, 1, HEIGHT, &mut rng).unwrap()
    };
    let a = build(&s.inputs[..1]);
    let b = build(&s.inputs[1..]);
    assert_ne!(a.key_images(), b.key_images());
    assert!(a.output_public_keys().iter().any(|k| b.output_public_keys().contains(k)));
    validate_stateless(&b, &ctx()).unwrap();
    let r = verify_batch(&[a, b], &ctx(), &s.fx.ledger);
    assert!(r[0].is_ok());
    assert!(matches!(r[1], Err(TxError::OutputKeyInBatch { other: 0 })), "{:?}", r[1]);
}
