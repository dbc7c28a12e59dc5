//! Ledger -> archive -> new ledger through both stores: identical block ids, the new ledger
//! verifies, bundles are used where whole ones lie ahead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::ControlFlow;

use mcnode_archive::testkit::*;
use mcnode_archive::{Archive, archive_ledger, layout, sync};
use mcnode_ledger::{Ledger, LmdbLedger};

/// Archives `src` to `archive`, syncs a fresh LMDB ledger from it, checks it.
fn round_trip(src: &mcnode_ledger::MemoryLedger, archive: &Archive) -> mcnode_archive::SyncReport {
    let rt = rt();
    let up = rt.block_on(archive_ledger(archive, src, &mut |_, _| {})).unwrap();
    assert_eq!(up.highest, Some(src.num_blocks().unwrap() - 1));
    let dir = tempfile::tempdir().unwrap();
    let mut dst = LmdbLedger::create(&dir.path().join("ledger")).unwrap();
    let report = rt
        .block_on(sync(archive, &mut dst, &options(), &mut |_| ControlFlow::Continue(())))
        .unwrap();
    assert_eq!(ids(&dst), ids(src));
    let v = dst.verify().unwrap();
    assert_eq!(v.blocks, src.num_blocks().unwrap());
    // Signatures travel with the blocks.
    assert_eq!(dst.block(5).unwrap(), src.block(5).unwrap());
    report
}

#[test]
fn file_archive_round_trips_through_bundles_and_single_blocks() {
    let src = ledger(1150);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("archive").display());
    let archive = Archive::create(&url, &[]).unwrap();
    let report = round_trip(&src, &archive);
    // merged-1000/0, merged-100/1000, then blocks 1100..1150 one by one.
    assert_eq!((report.bundles, report.singles, report.appended), (2, 50, 1150));
    let root = dir.path().join("archive");
    for name in [
        layout::block_object(1149),
        layout::bundle_object(1000, 0),
        layout::bundle_object(100, 1000),
        layout::bundle_object(100, 900),
    ] {
        assert!(root.join(&name).is_file(), "{name} missing");
    }
    assert!(!root.join(layout::bundle_object(100, 1100)).exists(), "incomplete bundle written");
}

#[test]
fn a_plain_path_is_a_file_archive() {
    let src = ledger(3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").display().to_string();
    let archive = Archive::create(&path, &[]).unwrap();
    round_trip(&src, &archive);
    assert!(dir.path().join("a/index.json").is_file());
}

#[test]
fn s3_archive_round_trips_against_a_real_s3_server() {
    let moto = Moto::start("blocks");
    let src = ledger(230);
    let archive = Archive::create("s3://blocks/net/archive", &moto.options()).unwrap();
    let report = round_trip(&src, &archive);
    assert_eq!((report.bundles, report.singles), (2, 30));
    // The objects are where the layout says, under the prefix.
    let rt = rt();
    let plain = Archive::open("s3://blocks", &moto.options()).unwrap();
    let got = rt.block_on(plain.get("net/archive/merged-100/0000000000000064")).unwrap();
    assert!(got.is_some());
}
