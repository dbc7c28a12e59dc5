//! Crash safety: a writer process appends blocks in a loop and is killed with SIGKILL at
//! seeded random moments, many times. After each kill the ledger must open, `verify` must pass,
//! the height must never shrink, every block seen before must be unchanged (the ledger is a
//! prefix of what was appended), and every append the writer reported as returned must be there
//! (durability across a process crash).
//!
//! The writer is this same test binary, re-run with `--exact crash_writer_child --ignored` and
//! the ledger path in an environment variable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use mcnode_ledger::testkit::append_synthetic;
use mcnode_ledger::{BlockId, Ledger, LmdbLedger};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

const CHILD_ENV: &str = "MCNODE_LEDGER_CRASH_CHILD";
const OUTPUTS: u64 = 40;
const KEY_IMAGES: u64 = 10;

/// The writer: appends synthetic blocks forever, printing each height once `append_block`
/// has returned. Does nothing unless started by the crash test.
#[test]
#[ignore = "child process of the crash tests, not a test by itself"]
fn crash_writer_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let mut l = LmdbLedger::open(Path::new(&path)).unwrap();
    let mut out = std::io::stdout().lock();
    loop {
        let n = l.num_blocks().unwrap();
        append_synthetic(&mut l, n, OUTPUTS, KEY_IMAGES).unwrap();
        writeln!(out, "appended {}", n + 1).unwrap();
        out.flush().unwrap();
    }
}

fn run_kills(seed: u64, kills: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger");
    {
        let mut l = LmdbLedger::create(&path).unwrap();
        append_synthetic(&mut l, 0, OUTPUTS, KEY_IMAGES).unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut seen: Vec<BlockId> = Vec::new();
    for round in 0..kills {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_writer_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the first append, then let it run a random while and kill it mid-write.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acked = 0u64;
        // (The test harness prints its own lines first, and "test ... " before ours.)
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some((_, h)) = line.split_once("appended ") {
                acked = h.parse().unwrap();
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.next_u64() % 40_000));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        for line in lines.map_while(Result::ok) {
            if let Some((_, h)) = line.split_once("appended ") {
                acked = acked.max(h.parse().unwrap());
            }
        }

        let l = LmdbLedger::open(&path).unwrap();
        let report = l.verify().unwrap_or_else(|e| panic!("seed {seed} round {round}: {e}"));
        assert!(report.blocks >= seen.len() as u64, "seed {seed} round {round}: height shrank");
        assert!(report.blocks >= acked, "seed {seed} round {round}: acknowledged block lost");
        for (i, id) in seen.iter().enumerate() {
            assert_eq!(l.block_header(i as u64).unwrap().unwrap().id, *id, "block {i} changed");
        }
        for i in seen.len() as u64..report.blocks {
            seen.push(l.block_header(i).unwrap().unwrap().id);
        }
    }
    assert!(seen.len() > kills / 2, "the writer made too little progress to test anything");
}

#[test]
fn sigkilled_writer_leaves_a_sound_prefix() {
    run_kills(0x6c65_6467_6572, 25);
}

#[test]
#[ignore = "heavier variant (200 kills, ~1 min); run with --ignored"]
fn sigkilled_writer_leaves_a_sound_prefix_many_times() {
    run_kills(7, 200);
}
