//! Single bit flips in a small ledger's `data.mdb`, through the real `mcnode` binary: no flip
//! makes `ledger verify`, `ledger info` or `ledger blocks` die by a signal, and every flip
//! that changes what `ledger blocks --json` shows (or makes it fail) is reported by
//! `ledger verify` as corrupt or rolled back (exit 1).
//!
//! The flips: every 8-byte-aligned offset whose 8 bytes are not all zero ("holding data"), two
//! bits each. CI runs a seeded sample (`flip_sample`); `flip_sweep_full` (ignored) runs all of
//! them: `cargo test -p mcnode-cli --test ledger_flips -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mcnode_ledger::LmdbLedger;
use mcnode_ledger::lmdb::ack::ACK_FILE;
use mcnode_ledger::testkit::append_synthetic;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// A read of a damaged ledger may legitimately be slow, never endless.
const TIMEOUT: Duration = Duration::from_secs(120);

fn mcnode(args: &[&str], path: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(args.iter().copied().chain([path.to_str().unwrap()]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            panic!("mcnode {args:?} on {} ran past {TIMEOUT:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

struct Fixture {
    _dir: tempfile::TempDir,
    good: PathBuf,
    work: PathBuf,
    data: Vec<u8>,
    shown: Vec<u8>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    {
        let mut l = LmdbLedger::create(&good).unwrap();
        for n in 0..4 {
            append_synthetic(&mut l, n, 3, 2).unwrap();
        }
    }
    let shown = mcnode(&["ledger", "blocks", "--json", "--count", "1000"], &good);
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown));
    let data = std::fs::read(good.join("data.mdb")).unwrap();
    let work = dir.path().join("work");
    Fixture { good, work, data, shown: shown.stdout, _dir: dir }
}

/// Every (offset, bit) of the sweep: two bits of each 8-byte word holding data.
fn flips(data: &[u8]) -> Vec<(usize, u32)> {
    let mut all = Vec::new();
    for (k, word) in data.chunks_exact(8).enumerate() {
        if word.iter().any(|b| *b != 0) {
            let first = (k as u32 * 13) % 64;
            all.push((k * 8, first));
            all.push((k * 8, (first + 32) % 64));
        }
    }
    all
}

#[derive(Default, Debug)]
struct Tally {
    unchanged_sound: u32,
    unchanged_reported: u32,
    changed_reported: u32,
    rolled_back: u32,
    crashes_contained: u32,
    /// (offset, bit) of the flips that crashed the storage engine.
    crashed_at: Vec<(usize, u32)>,
}

fn no_signal(o: &Output, what: &str, at: usize, bit: u32) {
    assert!(o.status.code().is_some(), "{what} died by a signal after flipping bit {bit} at {at}");
}

/// Applies one flip to a fresh copy of the ledger and checks the rules.
fn check(f: &Fixture, at: usize, bit: u32, tally: &mut Tally) {
    let _ = std::fs::remove_dir_all(&f.work);
    std::fs::create_dir(&f.work).unwrap();
    std::fs::copy(f.good.join(ACK_FILE), f.work.join(ACK_FILE)).unwrap();
    let mut bytes = f.data.clone();
    bytes[at + (bit / 8) as usize] ^= 1 << (bit % 8);
    std::fs::write(f.work.join("data.mdb"), bytes).unwrap();

    let blocks = mcnode(&["ledger", "blocks", "--json", "--count", "1000"], &f.work);
    no_signal(&blocks, "blocks", at, bit);
    let info = mcnode(&["ledger", "info"], &f.work);
    no_signal(&info, "info", at, bit);
    let verify = mcnode(&["ledger", "verify"], &f.work);
    no_signal(&verify, "verify", at, bit);

    let changed = blocks.status.code() != Some(0) || blocks.stdout != f.shown;
    let reported = verify.status.code() == Some(1);
    assert!(
        matches!(verify.status.code(), Some(0 | 1)),
        "verify neither sound nor corrupt after flipping bit {bit} at {at}: {}",
        text(&verify)
    );
    if changed {
        assert!(reported, "bit {bit} at {at} changed the blocks shown, verify: {}", text(&verify));
    }
    let crashed =
        [&blocks, &info, &verify].iter().any(|o| text(o).contains("storage engine crashed"));
    tally.crashes_contained += crashed as u32;
    if crashed {
        tally.crashed_at.push((at, bit));
    }
    tally.rolled_back += text(&verify).contains("ROLLED BACK") as u32;
    match (changed, reported) {
        (true, _) => tally.changed_reported += 1,
        (false, true) => tally.unchanged_reported += 1,
        (false, false) => tally.unchanged_sound += 1,
    }
}

fn run(sample: Option<(u64, usize)>) -> Tally {
    let f = fixture();
    let mut all = flips(&f.data);
    let total = all.len();
    if let Some((seed, n)) = sample {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        for i in 0..n.min(all.len()) {
            let j = i + (rng.next_u64() % (all.len() - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(n);
    }
    let start = Instant::now();
    let mut tally = Tally::default();
    for &(at, bit) in &all {
        check(&f, at, bit, &mut tally);
    }
    eprintln!(
        "{} of {total} flips over {} bytes of data.mdb in {:.1?}: {tally:?}",
        all.len(),
        f.data.len(),
        start.elapsed()
    );
    tally
}

#[test]
fn flip_sample() {
    let t = run(Some((0x5eed_f11b, 120)));
    assert!(t.changed_reported > 0, "the sample changed nothing: {t:?}");
}

/// The meta pages are where a flip silently rolls back: every word of both is in the sweep.
#[test]
fn flips_in_the_meta_pages_are_never_silent() {
    let f = fixture();
    let mut tally = Tally::default();
    // Meta page header and the transaction ids: the words a rollback comes from.
    for page in [0usize, 4096] {
        for at in [page + 16, page + 136, page + 144] {
            for bit in [0, 55] {
                check(&f, at, bit, &mut tally);
            }
        }
    }
    assert!(tally.rolled_back > 0, "{tally:?}");
}

/// Flips that the full sweep found to crash LMDB's reader in this fixture (4 KiB pages).
const CRASHING_FLIPS: [(usize, u32); 4] = [(20488, 45), (28624, 18), (28680, 45), (31824, 34)];

/// Without containment these flips kill the reader by a signal (shown by running the hidden
/// child command directly); through `ledger verify` (and `info`/`blocks` where they crash too)
/// each is reported as corruption, exit 1, naming what was being read.
#[test]
fn storage_engine_crashes_are_contained_and_named() {
    let f = fixture();
    let mut crashed = 0;
    for (at, bit) in CRASHING_FLIPS {
        check(&f, at, bit, &mut Tally::default());
        let raw = mcnode(&["ledger", "contained-read", "verify"], &f.work);
        if raw.status.code().is_some() {
            continue; // another page layout: this flip does not crash here
        }
        crashed += 1;
        let verify = mcnode(&["ledger", "verify"], &f.work);
        assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
        let t = text(&verify);
        assert!(t.contains("ledger is CORRUPT: the storage engine crashed (SIG"), "{t}");
        assert!(
            t.contains(" while opening the ledger") || t.contains(" while verifying block"),
            "{t}"
        );
        // `info` and `blocks` read less than `verify`, so they may not reach the bad page.
        for cmd in ["info", "blocks"] {
            let o = mcnode(&["ledger", cmd], &f.work);
            let raw = mcnode(&["ledger", "contained-read", cmd], &f.work);
            if raw.status.code().is_none() {
                assert_eq!(o.status.code(), Some(1), "{cmd}: {}", text(&o));
                assert!(text(&o).contains("storage engine crashed"), "{cmd}: {}", text(&o));
            }
        }
    }
    assert!(crashed > 0, "none of {CRASHING_FLIPS:?} crashes LMDB here: rerun flip_sweep_full");
}

#[test]
#[ignore = "the whole sweep (minutes); run with --ignored --nocapture"]
fn flip_sweep_full() {
    let t = run(None);
    assert!(t.crashes_contained > 0, "no flip crashed the storage engine: {t:?}");
}

/// Reproduces one flip of the sweep for debugging: `MCNODE_FLIP=OFFSET:BIT` and
/// `MCNODE_FLIP_DIR=DIR` (a directory to create) leave the damaged ledger in `DIR`.
#[test]
#[ignore = "debugging aid: needs MCNODE_FLIP and MCNODE_FLIP_DIR"]
fn flip_one() {
    let (Ok(flip), Ok(dir)) = (std::env::var("MCNODE_FLIP"), std::env::var("MCNODE_FLIP_DIR"))
    else {
        return;
    };
    let (at, bit) = flip.split_once(':').unwrap();
    let (at, bit): (usize, u32) = (at.parse().unwrap(), bit.parse().unwrap());
    let f = fixture();
    let dir = PathBuf::from(dir);
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(f.good.join(ACK_FILE), dir.join(ACK_FILE)).unwrap();
    let mut bytes = f.data.clone();
    bytes[at + (bit / 8) as usize] ^= 1 << (bit % 8);
    std::fs::write(dir.join("data.mdb"), bytes).unwrap();
}
