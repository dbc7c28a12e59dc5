//! Archiving is idempotent and resumable; a sync resumes after an interruption; a node
//! publishing block by block produces the same archive.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::ControlFlow;
use std::path::Path;
use std::time::SystemTime;

use mcnode_archive::testkit::*;
use mcnode_archive::{
    Archive, PublishError, SyncError, archive_ledger, layout, publish_block, sync,
};
use mcnode_ledger::{Ledger, LmdbLedger, MemoryLedger};

fn mtimes(root: &Path) -> Vec<(String, SystemTime)> {
    let mut v = Vec::new();
    for sub in ["blocks", "merged-100", "merged-1000"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub)) else { continue };
        for e in rd {
            let e = e.unwrap();
            v.push((
                format!("{sub}/{}", e.file_name().to_string_lossy()),
                e.metadata().unwrap().modified().unwrap(),
            ));
        }
    }
    v.sort();
    v
}

#[test]
fn re_archiving_uploads_nothing_already_there() {
    let mut src = ledger(250);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a");
    let archive = Archive::create(&root.display().to_string(), &[]).unwrap();
    let rt = rt();
    let first = rt.block_on(archive_ledger(&archive, &src, &mut |_, _| {})).unwrap();
    // 250 blocks, 2 bundles, index written at 99, 199 and 249.
    assert_eq!((first.uploaded, first.present), (255, 0));
    let before = mtimes(&root);
    let again = rt.block_on(archive_ledger(&archive, &src, &mut |_, _| {})).unwrap();
    assert_eq!((again.uploaded, again.present, again.highest), (0, 0, Some(249)));
    // A run killed after writing objects but before its index: the rerun finds them present.
    let ix = layout::ArchiveIndex::new(99, src.block_header(99).unwrap().unwrap().id);
    rt.block_on(archive.put(layout::INDEX_OBJECT, ix.to_bytes())).unwrap();
    let resumed = rt.block_on(archive_ledger(&archive, &src, &mut |_, _| {})).unwrap();
    assert_eq!((resumed.uploaded, resumed.present), (2, 151), "only the index is rewritten");
    assert_eq!(mtimes(&root), before, "an object was rewritten");
    // New blocks: only they (and the bundle they complete) are uploaded.
    grow(&mut src, 300);
    let more = rt.block_on(archive_ledger(&archive, &src, &mut |_, _| {})).unwrap();
    assert_eq!((more.uploaded, more.present, more.highest), (52, 0, Some(299)));
}

#[test]
fn archiving_another_chain_into_an_archive_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::create(&dir.path().display().to_string(), &[]).unwrap();
    let rt = rt();
    rt.block_on(archive_ledger(&archive, &ledger(5), &mut |_, _| {})).unwrap();
    let mut other = MemoryLedger::new();
    mcnode_ledger::testkit::append_synthetic(&mut other, 900, 1, 0).unwrap();
    for n in 901..910 {
        mcnode_ledger::testkit::append_synthetic(&mut other, n, 1, 0).unwrap();
    }
    let e = rt.block_on(archive_ledger(&archive, &other, &mut |_, _| {})).unwrap_err();
    assert!(matches!(e, PublishError::OtherChain { index: 4, .. }), "{e:?}");
}

#[test]
fn an_interrupted_sync_resumes_where_it_stopped() {
    let src = ledger(260);
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::create(&dir.path().join("a").display().to_string(), &[]).unwrap();
    let rt = rt();
    rt.block_on(archive_ledger(&archive, &src, &mut |_, _| {})).unwrap();
    let path = dir.path().join("ledger");
    {
        let mut l = LmdbLedger::create(&path).unwrap();
        let mut stop = |p: mcnode_archive::SyncProgress| {
            if p.height == 150 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        };
        let e = rt.block_on(sync(&archive, &mut l, &options(), &mut stop)).unwrap_err();
        assert!(matches!(e, SyncError::Interrupted { height: 150 }), "{e:?}");
    }
    let mut l = LmdbLedger::open(&path).unwrap();
    assert_eq!(l.num_blocks().unwrap(), 150);
    let r = rt
        .block_on(sync(&archive, &mut l, &options(), &mut |_| ControlFlow::Continue(())))
        .unwrap();
    // Resumed at 150, where no bundle starts; 200..260 is not a whole bundle: single blocks.
    assert_eq!((r.appended, r.height, r.bundles, r.singles), (110, 260, 0, 110));
    assert_eq!(ids(&l), ids(&src));
    l.verify().unwrap();
    // Up to date: a further sync appends nothing and checks the archive is of this chain.
    let r = rt
        .block_on(sync(&archive, &mut l, &options(), &mut |_| ControlFlow::Continue(())))
        .unwrap();
    assert_eq!(r.appended, 0);
}

#[test]
fn a_ledger_of_another_chain_is_not_extended() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::create(&dir.path().display().to_string(), &[]).unwrap();
    let rt = rt();
    rt.block_on(archive_ledger(&archive, &ledger(5), &mut |_, _| {})).unwrap();
    let mut other = MemoryLedger::new();
    for n in 900..903 {
        mcnode_ledger::testkit::append_synthetic(&mut other, n, 1, 0).unwrap();
    }
    let e = rt
        .block_on(sync(&archive, &mut other, &options(), &mut |_| ControlFlow::Continue(())))
        .unwrap_err();
    assert!(
        matches!(
            e,
            SyncError::Tampered { index: 3, problem: mcnode_archive::Problem::Parent { .. }, .. }
        ),
        "{e:?}"
    );
    for n in 903..910 {
        mcnode_ledger::testkit::append_synthetic(&mut other, n, 1, 0).unwrap();
    }
    let e = rt
        .block_on(sync(&archive, &mut other, &options(), &mut |_| ControlFlow::Continue(())))
        .unwrap_err();
    assert!(matches!(e, SyncError::Diverged { index: 4, .. }), "{e:?}");
}

#[test]
fn a_node_publishing_each_block_makes_the_same_archive() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("node"), dir.path().join("bulk"));
    let live = Archive::create(&a.display().to_string(), &[]).unwrap();
    let rt = rt();
    let mut node = MemoryLedger::new();
    for h in 1..=205u64 {
        grow(&mut node, h);
        let r = rt.block_on(publish_block(&live, &node, h - 1)).unwrap();
        assert_eq!(r.highest, Some(h - 1));
    }
    // Publishing a block again uploads nothing.
    let r = rt.block_on(publish_block(&live, &node, 150)).unwrap();
    assert_eq!(r.uploaded, 0);
    // After downtime the next publish fills the gap.
    grow(&mut node, 210);
    let r = rt.block_on(publish_block(&live, &node, 209)).unwrap();
    assert_eq!((r.uploaded, r.highest), (6, Some(209)));
    let bulk = Archive::create(&b.display().to_string(), &[]).unwrap();
    rt.block_on(archive_ledger(&bulk, &node, &mut |_, _| {})).unwrap();
    for name in [
        layout::block_object(0),
        layout::block_object(209),
        layout::bundle_object(100, 100),
        layout::INDEX_OBJECT.to_string(),
    ] {
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap(),
            "{name}"
        );
    }
    let mut l = MemoryLedger::new();
    rt.block_on(sync(&live, &mut l, &options(), &mut |_| ControlFlow::Continue(()))).unwrap();
    assert_eq!(ids(&l), ids(&node));
}
