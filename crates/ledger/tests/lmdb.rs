//! The durable backend: persistence across reopen, clear open errors, the single-process lock,
//! the schema version check, corruption detection by `verify`, the origin block.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use mcnode_ledger::origin::{self, OriginError};
use mcnode_ledger::testkit::{append_synthetic, synthetic_output};
use mcnode_ledger::verify::Problem;
use mcnode_ledger::{Ledger, LedgerError, LmdbLedger, OpenError, VerifyError};
use mcnode_tx::AccountKey;
use mcnode_tx::address::{AddressString, Network};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn open_err(path: &std::path::Path) -> OpenError {
    match LmdbLedger::open(path) {
        Err(LedgerError::Open(e)) => e,
        other => panic!("expected an open error, got {other:?}"),
    }
}

#[test]
fn reopen_keeps_every_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let blocks: Vec<_> = {
        let mut l = LmdbLedger::create(&path).unwrap();
        (0..4).map(|n| append_synthetic(&mut l, n, 3, 1).unwrap()).collect()
    };
    let l = LmdbLedger::open(&path).unwrap();
    assert_eq!(l.blocks(0, 10).unwrap(), blocks);
    l.verify().unwrap();
    // The in-memory key indexes are rebuilt from disk.
    let mut global = 0;
    for b in &blocks {
        for o in &b.contents.outputs {
            assert_eq!(l.output_index(o.public_key()).unwrap(), Some(global));
            global += 1;
        }
        for ki in &b.contents.key_images {
            assert_eq!(l.key_image_block(ki).unwrap(), Some(b.block.index));
        }
    }
    assert_eq!(l.num_key_images().unwrap(), 4);
    assert!(l.disk_size().unwrap() > 0);
}

#[test]
fn open_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    assert!(matches!(open_err(&missing), OpenError::NotFound { .. }));
    let file = dir.path().join("file");
    std::fs::write(&file, b"hello").unwrap();
    assert!(matches!(open_err(&file), OpenError::NotALedger { .. }));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(matches!(open_err(&empty), OpenError::NotALedger { .. }));
    assert!(open_err(&empty).to_string().contains("not an mcnode ledger"));
    // create refuses to overwrite anything.
    assert!(matches!(
        LmdbLedger::create(&file),
        Err(LedgerError::Open(OpenError::AlreadyExists { .. }))
    ));
}

#[test]
fn a_ledger_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let held = LmdbLedger::create(&path).unwrap();
    let e = open_err(&path);
    assert!(matches!(e, OpenError::InUse { .. }), "{e}");
    assert!(e.to_string().contains("in use by another process"));
    drop(held);
    LmdbLedger::open(&path).unwrap();
}

#[test]
fn another_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let mut l = LmdbLedger::create(&path).unwrap();
    l.set_schema_version_for_tests(2).unwrap();
    drop(l);
    let e = open_err(&path);
    assert!(matches!(e, OpenError::SchemaVersion { found: 2, supported: 1, .. }), "{e}");
}

/// Flips one byte of a stored output inside `data.mdb` (found by its unique public key): the
/// LMDB structure stays intact, the data is wrong, and `verify` must name the block.
#[test]
fn verify_detects_a_corrupted_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let mut l = LmdbLedger::create(&path).unwrap();
        for n in 0..5 {
            append_synthetic(&mut l, n, 4, 2).unwrap();
        }
    }
    // Output seed 13 is in block 3 (seeds 12..16).
    let target = synthetic_output(13);
    let data_path = path.join("data.mdb");
    let mut bytes = std::fs::read(&data_path).unwrap();
    let needle = target.target_key.0; // first field of the stored TxOut value
    // Copy-on-write leaves stale copies of pages in the file: flip the byte in every copy.
    let hits: Vec<_> =
        bytes.windows(32).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect();
    assert!(!hits.is_empty(), "output stored");
    for at in hits {
        bytes[at + 3] ^= 0x40;
    }
    std::fs::write(&data_path, &bytes).unwrap();
    let l = LmdbLedger::open(&path).unwrap();
    match l.verify() {
        Err(VerifyError::Corrupt { block: 3, problem: Problem::ContentsHash }) => {}
        other => panic!("expected block 3 to be named, got {other:?}"),
    }
}

fn address(seed: u64, network: Network) -> String {
    let acct = AccountKey::random(&mut ChaCha20Rng::seed_from_u64(seed));
    AddressString { network, address: acct.default_address() }.to_string()
}

#[test]
fn origin_block_is_deterministic_and_spendable_by_its_owner() {
    let json = format!(
        r#"{{"comment": "test", "outputs": [
            {{"address": "{}", "value": 1000}},
            {{"address": "{}", "value": 250, "token_id": 1}}]}}"#,
        address(1, Network::Devnet),
        address(2, Network::Devnet)
    );
    let spec = origin::parse(&json).unwrap();
    let a = origin::origin_block(&spec).unwrap();
    let b = origin::origin_block(&origin::parse(&json).unwrap()).unwrap();
    assert_eq!(a.block, b.block);
    assert_eq!(a.totals.get(&0), Some(&1000));
    let acct = AccountKey::random(&mut ChaCha20Rng::seed_from_u64(1));
    let owned: Vec<_> =
        a.block.contents.outputs.iter().filter_map(|o| o.view(&acct, 0).ok()).collect();
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0].amount.value, 1000);

    let dir = tempfile::tempdir().unwrap();
    let mut l = LmdbLedger::create(&dir.path().join("l")).unwrap();
    l.append_block(&a.block).unwrap();
    l.verify().unwrap();

    let mixed = json.replacen(&address(2, Network::Devnet), &address(2, Network::Testnet), 1);
    assert!(matches!(
        origin::origin_block(&origin::parse(&mixed).unwrap()),
        Err(OriginError::MixedNetworks { index: 1, .. })
    ));
    let zero = json.replacen("1000", "0", 1);
    assert!(matches!(
        origin::origin_block(&origin::parse(&zero).unwrap()),
        Err(OriginError::ZeroValue { index: 0 })
    ));
    assert!(matches!(
        origin::origin_block(&origin::parse(r#"{"outputs": []}"#).unwrap()),
        Err(OriginError::Empty)
    ));
    assert!(matches!(origin::parse(r#"{"outputs": [], "x": 1}"#), Err(OriginError::Json(_))));
}

#[test]
fn shipped_origin_example_builds() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/origin.json");
    let text = std::fs::read_to_string(path).unwrap();
    let o = origin::origin_block(&origin::parse(&text).unwrap()).unwrap();
    assert_eq!(o.network, Network::Devnet);
    assert!(!o.block.contents.outputs.is_empty());
}
