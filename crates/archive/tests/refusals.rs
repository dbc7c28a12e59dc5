//! A sync refuses, naming the object, every archive it cannot trust.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::ControlFlow;

use mcnode_archive::testkit::*;
use mcnode_archive::{
    Archive, Problem, SignerSet, SyncError, SyncOptions, archive_ledger, layout, sync,
};
use mcnode_ledger::block::BlockSignature;
use mcnode_ledger::{Ledger, LmdbLedger, MemoryLedger};

/// An archive of `height` blocks in a temporary directory.
fn archived(height: u64) -> (tempfile::TempDir, Archive, MemoryLedger) {
    let src = ledger(height);
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::create(&dir.path().join("a").display().to_string(), &[]).unwrap();
    rt().block_on(archive_ledger(&archive, &src, &mut |_, _| {})).unwrap();
    (dir, archive, src)
}

/// Syncs a fresh LMDB ledger; the error and the ledger's height.
fn sync_err(archive: &Archive, opts: &SyncOptions) -> (SyncError, u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut l = LmdbLedger::create(&dir.path().join("l")).unwrap();
    let e = rt()
        .block_on(sync(archive, &mut l, opts, &mut |_| ControlFlow::Continue(())))
        .expect_err("sync accepted an archive it must refuse");
    let h = l.num_blocks().unwrap();
    assert!(l.verify().is_ok(), "a refused sync left an unsound ledger");
    (e, h)
}

fn obj(archive: &Archive, name: &str) -> String {
    archive.describe(name)
}

#[test]
fn changed_contents_are_refused_naming_the_object() {
    let (_d, archive, _) = archived(150);
    rewrite_block(&archive, 120, |b| b.contents.outputs[0].masked_amount.masked_value ^= 1);
    let (e, height) = sync_err(&archive, &options());
    let name = obj(&archive, &layout::block_object(120));
    assert!(e.to_string().contains(&name), "{e}");
    match e {
        SyncError::Tampered { object, index: 120, problem: Problem::ContentsHash } => {
            assert_eq!(object, name)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(height, 120, "every block before the tampered one is kept");
}

#[test]
fn a_changed_header_is_refused() {
    let (_d, archive, _) = archived(150);
    rewrite_block(&archive, 130, |b| b.block.cumulative_txo_count += 1);
    let (e, _) = sync_err(&archive, &options());
    assert!(matches!(e, SyncError::Tampered { index: 130, problem: Problem::Id, .. }), "{e:?}");
}

#[test]
fn a_tampered_bundle_is_refused_naming_the_bundle() {
    let (_d, archive, _) = archived(150);
    let name = layout::bundle_object(100, 0);
    rt().block_on(async {
        let mut bytes = archive.get(&name).await.unwrap().unwrap();
        let n = bytes.len();
        bytes[n - 10] ^= 0x40; // inside the last block's last signature
        archive.put(&name, bytes).await.unwrap();
    });
    let (e, height) = sync_err(&archive, &options());
    match e {
        SyncError::Unsigned { object, index: 99, source } => {
            assert_eq!(object, obj(&archive, &name));
            assert_eq!((source.valid, source.threshold), (2, 3));
        }
        other => panic!("{other:?}"),
    }
    // Bundle blocks are appended one by one: the 99 good ones are kept.
    assert_eq!(height, 99);
}

#[test]
fn garbage_is_refused_as_undecodable() {
    let (_d, archive, _) = archived(120);
    rt().block_on(archive.put(&layout::block_object(110), b"not a block".to_vec())).unwrap();
    let (e, _) = sync_err(&archive, &options());
    assert!(matches!(e, SyncError::Undecodable { index: 110, .. }), "{e:?}");
}

#[test]
fn a_block_moved_to_another_position_is_refused() {
    let (_d, archive, _) = archived(120);
    let b = rt().block_on(archive.get(&layout::block_object(105))).unwrap().unwrap();
    rt().block_on(archive.put(&layout::block_object(106), b)).unwrap();
    let (e, _) = sync_err(&archive, &options());
    assert!(
        matches!(
            e,
            SyncError::Tampered { index: 106, problem: Problem::WrongIndex { found: 105 }, .. }
        ),
        "{e:?}"
    );
}

#[test]
fn a_quorum_signed_block_of_another_chain_is_refused_at_its_link() {
    // Another chain signed by the same signers: its block 110 is valid on its own.
    let (_d, archive, _) = archived(120);
    let mut other = ledger(100);
    let keys = signers();
    for n in 100..111u64 {
        let c = mcnode_ledger::testkit::synthetic_contents(10_000 + 2 * n, 2, 10_000 + n, 1);
        let b = mcnode_ledger::testkit::make_block(&other, c, &keys[..3], 1).unwrap();
        other.append_block(&b).unwrap();
    }
    let foreign = other.block(110).unwrap().unwrap();
    rewrite_block(&archive, 110, |b| *b = foreign.clone());
    let (e, _) = sync_err(&archive, &options());
    assert!(
        matches!(e, SyncError::Tampered { index: 110, problem: Problem::Parent { .. }, .. }),
        "{e:?}"
    );
}

#[test]
fn a_missing_block_is_refused_naming_it() {
    let (_d, archive, _) = archived(130);
    rt().block_on(archive.delete(&layout::block_object(117))).unwrap();
    let (e, height) = sync_err(&archive, &options());
    let name = obj(&archive, &layout::block_object(117));
    assert!(e.to_string().contains(&name), "{e}");
    assert!(matches!(e, SyncError::Missing { index: 117, .. }), "{e:?}");
    assert_eq!(height, 117);
}

#[test]
fn a_missing_bundle_falls_back_to_single_blocks() {
    let (_d, archive, src) = archived(130);
    rt().block_on(archive.delete(&layout::bundle_object(100, 0))).unwrap();
    let mut l = MemoryLedger::new();
    let r = rt()
        .block_on(sync(&archive, &mut l, &options(), &mut |_| ControlFlow::Continue(())))
        .unwrap();
    assert_eq!((r.bundles, r.singles), (0, 130));
    assert_eq!(ids(&l), ids(&src));
}

#[test]
fn blocks_signed_by_others_or_too_few_are_refused() {
    let (_d, archive, _) = archived(5);
    let keys = signers();
    // A set that does not include the real signers.
    let strangers =
        (10..14u8).map(|i| node_id(&mcnode_crypto::SigningIdentity::from_seed(&[i; 32])));
    let opts =
        SyncOptions { signers: SignerSet::new(strangers.collect(), 2).unwrap(), origin: None };
    let (e, h) = sync_err(&archive, &opts);
    assert!(
        matches!(&e, SyncError::Unsigned { index: 1, source, .. } if source.valid == 0),
        "{e:?}"
    );
    assert_eq!(h, 0, "the origin is not kept without a signed block 1 vouching for it");
    // The right set, but a threshold above the three that sign.
    let all = keys.iter().map(node_id).collect();
    let opts = SyncOptions { signers: SignerSet::new(all, 4).unwrap(), origin: None };
    let (e, _) = sync_err(&archive, &opts);
    assert!(
        matches!(&e, SyncError::Unsigned { index: 1, source, .. } if source.valid == 3),
        "{e:?}"
    );
}

#[test]
fn one_signer_signing_twice_counts_once() {
    let (_d, archive, _) = archived(5);
    let keys = signers();
    rewrite_block(&archive, 3, |b| {
        // Three signatures, as many as the threshold, but two by the same signer.
        let again = BlockSignature::sign(&keys[0], &b.block.id, 99);
        b.signatures = vec![b.signatures[0], b.signatures[1], again];
    });
    let (e, _) = sync_err(&archive, &options());
    assert!(
        matches!(&e, SyncError::Unsigned { index: 3, source, .. } if source.valid == 2),
        "{e:?}"
    );
}

#[test]
fn the_origin_must_be_the_expected_one_or_vouched_for() {
    let (_d, archive, src) = archived(3);
    let real = src.block_header(0).unwrap().unwrap().id;
    // An expected origin given and different.
    let mut opts = options();
    opts.origin = Some(mcnode_ledger::BlockId(mcnode_types::Hash32::digest(b"t", b"other")));
    let (e, _) = sync_err(&archive, &opts);
    assert!(
        matches!(e, SyncError::Tampered { index: 0, problem: Problem::Origin { found, .. }, .. } if found == real),
        "{e:?}"
    );
    // A replaced origin block is refused at block 1's signed parent link.
    let mut origin = src.block(0).unwrap().unwrap();
    origin.contents = mcnode_ledger::testkit::synthetic_contents(77_777, 1, 0, 0);
    origin.block = mcnode_ledger::Block::new(1, None, origin.block.root_element, &origin.contents);
    rewrite_block(&archive, 0, |b| *b = origin.clone());
    let (e, h) = sync_err(&archive, &options());
    assert!(
        matches!(e, SyncError::Tampered { index: 1, problem: Problem::Parent { .. }, .. }),
        "{e:?}"
    );
    assert_eq!(h, 0);
}

#[test]
fn an_archive_of_only_the_origin_needs_the_expected_origin() {
    let (_d, archive, src) = archived(1);
    let (e, _) = sync_err(&archive, &options());
    assert!(matches!(e, SyncError::OriginUnverified { .. }), "{e:?}");
    let mut opts = options();
    opts.origin = Some(src.block_header(0).unwrap().unwrap().id);
    let mut l = MemoryLedger::new();
    rt().block_on(sync(&archive, &mut l, &opts, &mut |_| ControlFlow::Continue(()))).unwrap();
    assert_eq!(ids(&l), ids(&src));
}

#[test]
fn an_index_that_lies_about_the_highest_id_is_refused() {
    let (_d, archive, _) = archived(4);
    let ix = layout::ArchiveIndex::new(3, mcnode_ledger::BlockId(mcnode_types::Hash32::ZERO));
    rt().block_on(archive.put(layout::INDEX_OBJECT, ix.to_bytes())).unwrap();
    let (e, _) = sync_err(&archive, &options());
    assert!(matches!(e, SyncError::IndexMismatch { index: 3, .. }), "{e:?}");
}

#[test]
fn an_empty_directory_is_not_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open(&dir.path().display().to_string(), &[]).unwrap();
    let (e, _) = sync_err(&archive, &options());
    assert!(matches!(e, SyncError::NoIndex { .. }), "{e:?}");
    assert!(Archive::open(&dir.path().join("nope").display().to_string(), &[]).is_err());
}
