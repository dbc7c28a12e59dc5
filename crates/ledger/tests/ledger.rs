//! Ledger behaviour, run against both backends: round trips, every append rejection, proofs at
//! past heights, the `LedgerView` answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use mcnode_crypto::SigningIdentity;
use mcnode_ledger::block::{BLOCK_VERSION, MAX_BLOCK_KEY_IMAGES, SignatureError};
use mcnode_ledger::testkit::{
    append_synthetic, make_block, synthetic_contents, synthetic_key_image, synthetic_output,
};
use mcnode_ledger::{
    AppendError, BlockContents, BlockData, BlockId, Ledger, LedgerError, LmdbLedger, MemoryLedger,
};
use mcnode_tx::LedgerView;
use mcnode_tx::membership::merkle_root;
use mcnode_types::Hash32;

fn with_backends(test: impl Fn(&mut dyn Ledger)) {
    test(&mut MemoryLedger::new());
    let dir = tempfile::tempdir().unwrap();
    let mut l = LmdbLedger::create(&dir.path().join("ledger")).unwrap();
    test(&mut l);
}

/// A predicate on the rejection a case must produce.
type Expect = fn(&AppendError) -> bool;

fn rejected(r: Result<(), LedgerError>) -> AppendError {
    match r {
        Err(LedgerError::Rejected(e)) => e,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn append_and_read_back() {
    with_backends(|l| {
        let key = SigningIdentity::from_seed(&[1; 32]);
        let b0 = append_synthetic(l, 0, 5, 0).unwrap();
        let b1 = make_block(
            l,
            synthetic_contents(100, 4, 0, 3),
            std::slice::from_ref(&key),
            1_700_000_000,
        )
        .unwrap();
        l.append_block(&b1).unwrap();
        assert_eq!(l.num_blocks().unwrap(), 2);
        assert_eq!(l.num_outputs().unwrap(), 9);
        assert_eq!(l.num_key_images().unwrap(), 3);
        assert_eq!(l.block(0).unwrap().unwrap(), b0);
        assert_eq!(l.block(1).unwrap().unwrap(), b1);
        assert_eq!(l.block(2).unwrap(), None);
        assert_eq!(l.block_by_id(&b1.block.id).unwrap().unwrap(), b1);
        assert_eq!(l.block_by_id(&BlockId(Hash32::ZERO)).unwrap(), None);
        assert_eq!(l.blocks(0, 10).unwrap(), vec![b0.clone(), b1.clone()]);
        assert_eq!(l.blocks(1, 1).unwrap(), vec![b1.clone()]);
        assert_eq!(l.last_block().unwrap(), Some(b1.block));
        assert_eq!(b1.signatures[0].signed_at, 1_700_000_000);
        // Outputs are numbered in block order, sorted within a block.
        let all: Vec<_> = b0.contents.outputs.iter().chain(&b1.contents.outputs).copied().collect();
        for (i, o) in all.iter().enumerate() {
            assert_eq!(l.output(i as u64).unwrap(), Some(*o));
            assert_eq!(l.output_index(o.public_key()).unwrap(), Some(i as u64));
        }
        assert_eq!(l.output_index(synthetic_output(999).public_key()).unwrap(), None);
        assert_eq!(l.outputs(3, 4).unwrap(), all[3..7].to_vec());
        assert_eq!(l.outputs(7, 100).unwrap(), all[7..].to_vec());
        assert!(l.outputs(50, 2).unwrap().is_empty());
        for ki in &b1.contents.key_images {
            assert_eq!(l.key_image_block(ki).unwrap(), Some(1));
        }
        assert_eq!(l.key_image_block(&synthetic_key_image(77)).unwrap(), None);
        let report = l.verify().unwrap();
        assert_eq!((report.blocks, report.outputs, report.key_images), (2, 9, 3));
    });
}

#[test]
fn proofs_verify_at_every_past_height_and_fail_when_tampered() {
    with_backends(|l| {
        let mut leaves = Vec::new();
        for n in 0..6 {
            let b = append_synthetic(l, n, 1 + n * 2, n).unwrap();
            leaves.extend(b.contents.outputs.iter().map(|o| o.leaf_hash()));
            assert_eq!(b.block.root_element, merkle_root(&leaves));
        }
        let heads: Vec<_> = (0..6).map(|i| l.block_header(i).unwrap().unwrap()).collect();
        for h in &heads {
            let m = h.cumulative_txo_count;
            assert_eq!(l.merkle_root_at(m).unwrap(), h.root_element);
            for i in 0..m {
                let p = l.membership_proof_at(i, m).unwrap();
                p.verify(&leaves[i as usize], &h.root_element).unwrap();
                if let Some(last) = p.siblings.len().checked_sub(1) {
                    let mut bad = p.clone();
                    bad.siblings[last].0[5] ^= 1;
                    assert!(bad.verify(&leaves[i as usize], &h.root_element).is_err());
                }
                assert!(
                    p.verify(&leaves[(i as usize + 1) % leaves.len()], &h.root_element).is_err()
                );
            }
        }
        assert!(matches!(
            l.membership_proof_at(3, 3),
            Err(LedgerError::NoSuchOutput { index: 3, count: 3 })
        ));
        let n = l.num_outputs().unwrap();
        assert!(matches!(l.membership_proof_at(0, n + 1), Err(LedgerError::NoSuchTreeSize { .. })));
    });
}

#[test]
fn ledger_view_answers_for_validation() {
    fn check(v: &dyn LedgerView, l: &dyn Ledger, spent: &BlockData) {
        let n = v.num_outputs().unwrap();
        assert_eq!(n, l.num_outputs().unwrap());
        let root = v.merkle_root().unwrap();
        assert_eq!(root, l.last_block().unwrap().unwrap().root_element);
        let o = l.output(n - 1).unwrap().unwrap();
        assert_eq!(v.output_index(o.public_key()).unwrap(), Some(n - 1));
        v.membership_proof(n - 1).unwrap().verify(&o.leaf_hash(), &root).unwrap();
        assert!(v.contains_key_image(&spent.contents.key_images[0]).unwrap());
        assert!(!v.contains_key_image(&synthetic_key_image(10_000)).unwrap());
        assert!(matches!(
            v.membership_proof(n),
            Err(mcnode_tx::LedgerViewError::NoSuchOutput { index }) if index == n
        ));
    }
    let mut m = MemoryLedger::new();
    append_synthetic(&mut m, 0, 3, 0).unwrap();
    let b = append_synthetic(&mut m, 1, 3, 2).unwrap();
    check(&m, &m, &b);
    let dir = tempfile::tempdir().unwrap();
    let mut d = LmdbLedger::create(&dir.path().join("l")).unwrap();
    append_synthetic(&mut d, 0, 3, 0).unwrap();
    let b = append_synthetic(&mut d, 1, 3, 2).unwrap();
    check(&d, &d, &b);
}

#[test]
fn every_append_rule_rejects_and_leaves_the_ledger_unchanged() {
    with_backends(|l| {
        append_synthetic(l, 0, 4, 2).unwrap();
        let good = make_block(l, synthetic_contents(50, 3, 50, 2), &[], 0).unwrap();
        let before =
            (l.num_blocks().unwrap(), l.num_outputs().unwrap(), l.num_key_images().unwrap());
        let resign = |mut b: BlockData| {
            b.block.id = b.block.compute_id();
            b
        };
        let mut cases: Vec<(BlockData, Expect)> = Vec::new();
        let mut b = good.clone();
        b.block.version = BLOCK_VERSION + 1;
        cases.push((resign(b), |e| matches!(e, AppendError::UnsupportedVersion { .. })));
        let mut b = good.clone();
        b.contents.key_images =
            (0..=MAX_BLOCK_KEY_IMAGES as u64).map(|i| synthetic_key_image(1_000 + i)).collect();
        cases.push((b, |e| matches!(e, AppendError::TooLarge { what: "key images", .. })));
        let mut b = good.clone();
        b.contents.outputs.reverse();
        cases.push((b, |e| matches!(e, AppendError::NotCanonical)));
        let mut b = good.clone();
        b.contents.key_images.push(b.contents.key_images[0]);
        cases.push((b, |e| matches!(e, AppendError::NotCanonical)));
        let mut b = good.clone();
        b.block.index = 7;
        cases.push((resign(b), |e| matches!(e, AppendError::WrongIndex { expected: 1, got: 7 })));
        let mut b = good.clone();
        b.block.parent_id = BlockId(Hash32::digest(b"x", b"other"));
        cases.push((resign(b), |e| matches!(e, AppendError::WrongParent { .. })));
        let mut b = good.clone();
        b.contents.outputs.pop();
        cases.push((b, |e| matches!(e, AppendError::ContentsHashMismatch { .. })));
        let mut b = good.clone();
        b.block.cumulative_txo_count += 1;
        cases.push((resign(b), |e| matches!(e, AppendError::CumulativeCountMismatch { .. })));
        let mut b = good.clone();
        b.block.root_element = Hash32::digest(b"x", b"root");
        cases.push((resign(b), |e| matches!(e, AppendError::RootMismatch { .. })));
        let mut b = good.clone();
        b.block.id = BlockId(Hash32::digest(b"x", b"id"));
        cases.push((b, |e| matches!(e, AppendError::IdMismatch { .. })));
        let spent = make_block(l, synthetic_contents(60, 1, 0, 1), &[], 0).unwrap();
        cases.push((spent, |e| matches!(e, AppendError::KeyImageSpent { block: 0, .. })));
        let dup = make_block(l, synthetic_contents(3, 2, 90, 1), &[], 0).unwrap();
        cases.push((dup, |e| matches!(e, AppendError::DuplicateOutput { .. })));
        let key = SigningIdentity::from_seed(&[3; 32]);
        let mut b = make_block(l, synthetic_contents(50, 3, 50, 2), &[key], 5).unwrap();
        b.signatures[0].signed_at = 6;
        cases.push((b, |e| {
            matches!(e, AppendError::Signature(SignatureError::BadSignature { .. }))
        }));
        let key = SigningIdentity::from_seed(&[4; 32]);
        let mut b = make_block(l, synthetic_contents(50, 3, 50, 2), &[key], 5).unwrap();
        b.signatures.push(b.signatures[0]);
        cases.push((b, |e| matches!(e, AppendError::DuplicateSigner { .. })));
        for (i, (block, ok)) in cases.into_iter().enumerate() {
            let e = rejected(l.append_block(&block));
            assert!(ok(&e), "case {i}: unexpected rejection {e:?}");
            let now =
                (l.num_blocks().unwrap(), l.num_outputs().unwrap(), l.num_key_images().unwrap());
            assert_eq!(now, before, "case {i} changed the ledger");
        }
        l.verify().unwrap();
        l.append_block(&good).unwrap();
        assert!(matches!(rejected(l.append_block(&good)), AppendError::WrongIndex { .. }));
        l.verify().unwrap();
    });
}

#[test]
fn the_first_block_must_be_an_origin() {
    with_backends(|l| {
        let mut other = MemoryLedger::new();
        append_synthetic(&mut other, 0, 2, 0).unwrap();
        let second = append_synthetic(&mut other, 1, 2, 0).unwrap();
        assert!(matches!(rejected(l.append_block(&second)), AppendError::WrongIndex { .. }));
        let empty = make_block(l, BlockContents::default(), &[], 0).unwrap();
        l.append_block(&empty).unwrap();
        assert_eq!(l.merkle_root_at(0).unwrap(), merkle_root(&[]));
    });
}
