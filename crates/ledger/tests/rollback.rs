//! The acknowledged-block record (`mcnode-ledger.ack`): a database behind it is refused as
//! rolled back, including the real case of one flipped bit in an LMDB meta page; a database
//! ahead of it (crash between commit and record) repairs it; a damaged record is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::path::{Path, PathBuf};

use mcnode_ledger::lmdb::ack::ACK_FILE;
use mcnode_ledger::testkit::append_synthetic;
use mcnode_ledger::{BlockId, Ledger, LedgerError, LmdbLedger, OpenError};

fn ledger(dir: &Path, blocks: u64, outputs: u64) -> (PathBuf, Vec<BlockId>) {
    let path = dir.join("l");
    let mut l = LmdbLedger::create(&path).unwrap();
    let ids = (0..blocks).map(|n| append_synthetic(&mut l, n, outputs, 1).unwrap().block.id);
    (path.clone(), ids.collect())
}

fn open_err(path: &Path) -> OpenError {
    match LmdbLedger::open(path) {
        Err(LedgerError::Open(e)) => e,
        other => panic!("expected an open error, got {other:?}"),
    }
}

#[test]
fn an_older_database_under_a_newer_record_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = ledger(dir.path(), 2, 3);
    let old = std::fs::read(path.join("data.mdb")).unwrap();
    {
        let mut l = LmdbLedger::open(&path).unwrap();
        append_synthetic(&mut l, 2, 3, 1).unwrap();
    }
    std::fs::write(path.join("data.mdb"), old).unwrap();
    match open_err(&path) {
        OpenError::RolledBack {
            recorded_height: 3,
            found_height: 2,
            found_id_at_recorded: None,
            recorded_id,
            ..
        } => assert_ne!(recorded_id, ids[1]),
        e => panic!("expected a rollback, got {e:?}"),
    }
    let msg = LedgerError::from(open_err(&path)).to_string();
    assert!(msg.contains("ROLLED BACK") && msg.contains("3 blocks"), "{msg}");
    assert!(LedgerError::from(open_err(&path)).is_corruption());
}

/// LMDB opens whichever meta page has the higher transaction id. Raising the older page's id
/// by one flipped bit makes LMDB open the previous commit without any error.
#[test]
fn a_flipped_bit_in_a_meta_page_is_caught_as_a_rollback() {
    const TXNID: usize = 144; // page header 16 + magic, version, address, mapsize 24 + 2 dbs 96 + last_pg 8
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = ledger(dir.path(), 4, 3);
    let data = path.join("data.mdb");
    let mut bytes = std::fs::read(&data).unwrap();
    let txnid = |b: &[u8], page: usize| {
        u64::from_le_bytes(b[page * 4096 + TXNID..][..8].try_into().unwrap())
    };
    let (a, b) = (txnid(&bytes, 0), txnid(&bytes, 1));
    assert_eq!(a.abs_diff(b), 1, "meta pages hold consecutive transactions ({a}, {b})");
    let older = if a < b { 0 } else { 1 };
    bytes[older * 4096 + TXNID + 6] ^= 0x80;
    std::fs::write(&data, bytes).unwrap();
    assert!(matches!(
        open_err(&path),
        OpenError::RolledBack { recorded_height: 4, found_height: 3, .. }
    ));
}

#[test]
fn a_database_with_another_block_at_the_recorded_height_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = ledger(dir.path(), 2, 3);
    let other = dir.path().join("other");
    {
        let mut l = LmdbLedger::create(&other).unwrap();
        append_synthetic(&mut l, 0, 3, 1).unwrap();
        append_synthetic(&mut l, 1, 3, 2).unwrap(); // same height, other block 1
    }
    std::fs::copy(other.join("data.mdb"), path.join("data.mdb")).unwrap();
    match open_err(&path) {
        OpenError::RolledBack {
            recorded_height: 2, found_height: 2, found_id_at_recorded, ..
        } => {
            assert!(found_id_at_recorded.is_some_and(|id| id != ids[1]));
        }
        e => panic!("expected a rollback, got {e:?}"),
    }
}

/// A crash after the commit and before the record write leaves the database one block ahead:
/// normal, and the record is brought up to date.
#[test]
fn a_database_ahead_of_the_record_repairs_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = ledger(dir.path(), 2, 3);
    let old_record = std::fs::read(path.join(ACK_FILE)).unwrap();
    {
        let mut l = LmdbLedger::open(&path).unwrap();
        append_synthetic(&mut l, 2, 3, 1).unwrap();
    }
    let new_record = std::fs::read(path.join(ACK_FILE)).unwrap();
    assert_ne!(old_record, new_record, "every append rewrites the record");
    std::fs::write(path.join(ACK_FILE), &old_record).unwrap();
    let l = LmdbLedger::open(&path).unwrap();
    assert_eq!(l.num_blocks().unwrap(), 3);
    assert_eq!(std::fs::read(path.join(ACK_FILE)).unwrap(), new_record);
}

#[test]
fn a_damaged_record_is_refused_and_a_missing_one_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = ledger(dir.path(), 2, 3);
    let good = std::fs::read(path.join(ACK_FILE)).unwrap();
    let mut bad = good.clone();
    bad[20] ^= 1;
    std::fs::write(path.join(ACK_FILE), &bad).unwrap();
    assert!(matches!(
        open_err(&path),
        OpenError::AckRecordDamaged { reason: "checksum mismatch", .. }
    ));
    let msg = LedgerError::from(open_err(&path)).to_string();
    assert!(msg.contains("delete this file"), "{msg}");
    std::fs::remove_file(path.join(ACK_FILE)).unwrap();
    LmdbLedger::open(&path).unwrap();
    assert_eq!(std::fs::read(path.join(ACK_FILE)).unwrap(), good);
}

/// The record names the schema version that wrote the database: a database whose schema field
/// differs from its record's is damaged, while one whose record agrees is another version's.
#[test]
fn a_schema_field_that_differs_from_the_record_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = ledger(dir.path(), 1, 3);
    let ours = std::fs::read(path.join(ACK_FILE)).unwrap();
    LmdbLedger::open(&path).unwrap().set_schema_version_for_tests(2049).unwrap();
    assert!(matches!(open_err(&path), OpenError::SchemaVersion { found: 2049, .. }));
    std::fs::write(path.join(ACK_FILE), ours).unwrap();
    match LmdbLedger::open(&path) {
        Err(e @ LedgerError::Corrupt { key: 2049, .. }) => assert!(e.is_corruption()),
        other => panic!("expected corruption, got {other:?}"),
    }
}
