//! `mcnode bench ledger [--json] [--outputs N]`: what the durable ledger costs.
//!
//! 1. Builds an LMDB ledger of `--outputs` outputs (default 1,000,000) from blocks of
//!    `--block-outputs` outputs and `--block-key-images` key images (default 2,000 and 1,000:
//!    1,000 transactions of 2 outputs each), every append durable (fsync on commit). Times
//!    `append_block` alone (validation + write + commit) and, separately, `next_block` (the
//!    Merkle root the block former computes). The same first `--compare-blocks` blocks go into
//!    the in-memory ledger in the same run: the ratio is what durability and LMDB cost.
//! 2. At full size: key-image lookups (half present, half absent; random order) and membership
//!    proofs of random outputs against the current root, each through the public `Ledger`
//!    API (one read snapshot per call), on one thread, for `--seconds` each.
//! 3. Open time: drop the ledger, time `open` + the first read (page cache warm); median of 3.
//!
//! Outputs are synthetic (hash-derived bytes, not curve points; `mcnode_ledger::testkit`): the ledger
//! does not decompress points, so its costs are the same as with real outputs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mcnode_ledger::testkit::{make_block, synthetic_contents, synthetic_key_image};
use mcnode_ledger::{Ledger, LedgerError, LmdbLedger, MemoryLedger};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::json;

/// Arguments of `mcnode bench ledger`.
#[derive(clap::Args, Debug)]
pub struct LedgerArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Outputs in the ledger the read benchmarks run against.
    #[arg(long, default_value_t = 1_000_000)]
    outputs: u64,
    /// Outputs per block.
    #[arg(long, default_value_t = 2_000)]
    block_outputs: u64,
    /// Key images per block.
    #[arg(long, default_value_t = 1_000)]
    block_key_images: u64,
    /// Blocks appended to the in-memory ledger for the same-run comparison.
    #[arg(long, default_value_t = 50)]
    compare_blocks: u64,
    /// Seconds spent on each read measurement.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Directory for the ledger (a fresh temporary directory by default; removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Runs the benchmark.
pub fn run(args: LedgerArgs) -> ExitCode {
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(3)
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("temporary directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("--block-outputs and --outputs must be positive")]
    Args,
}

struct Percentiles {
    mean: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn percentiles(mut ms: Vec<f64>) -> Percentiles {
    ms.sort_by(f64::total_cmp);
    let at =
        |q: f64| ms.get(((ms.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    let mean = if ms.is_empty() { 0.0 } else { ms.iter().sum::<f64>() / ms.len() as f64 };
    Percentiles { mean, p50: at(0.5), p99: at(0.99), max: at(1.0) }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Calls `f` repeatedly for about `seconds`; returns calls per second.
fn rate(seconds: f64, mut f: impl FnMut() -> Result<(), LedgerError>) -> Result<f64, LedgerError> {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..256 {
            f()?;
        }
        calls += 256;
    }
    Ok(calls as f64 / start.elapsed().as_secs_f64())
}

fn bench(a: &LedgerArgs) -> Result<(), BenchError> {
    if a.block_outputs == 0 || a.outputs == 0 {
        return Err(BenchError::Args);
    }
    let tmp;
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().join("ledger")
        }
    };
    let blocks = a.outputs.div_ceil(a.block_outputs);
    let contents_of = |n: u64| {
        synthetic_contents(
            n * a.block_outputs,
            a.block_outputs,
            n * a.block_key_images,
            a.block_key_images,
        )
    };

    // 1. Appends, LMDB durable vs in memory.
    let mut lmdb = LmdbLedger::create(&dir)?;
    let mut mem = MemoryLedger::new();
    let (mut append, mut next, mut mem_append) = (Vec::new(), Vec::new(), Vec::new());
    let progress = !a.json;
    for n in 0..blocks {
        let contents = contents_of(n);
        let t = Instant::now();
        let block = make_block(&lmdb, contents, &[], 0)?;
        next.push(ms(t.elapsed()));
        let t = Instant::now();
        lmdb.append_block(&block)?;
        append.push(ms(t.elapsed()));
        if n < a.compare_blocks {
            let t = Instant::now();
            mem.append_block(&block)?;
            mem_append.push(ms(t.elapsed()));
        }
        if progress && (n + 1) % 50 == 0 {
            eprint!("\r{} / {blocks} blocks appended", n + 1);
        }
    }
    if progress {
        eprintln!();
    }
    drop(mem);
    let k = (a.compare_blocks.min(blocks)) as usize;
    let lmdb_first = percentiles(append[..k].to_vec());
    let mem_first = percentiles(mem_append);
    let app = percentiles(append.clone());
    let nxt = percentiles(next);

    // 2. Reads at full size.
    let outputs = lmdb.num_outputs()?;
    let key_images = lmdb.num_key_images()?;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let ki_total = blocks * a.block_key_images;
    let lookups = rate(a.seconds, || {
        let seed = rng.next_u64() % (2 * ki_total.max(1));
        let found = lmdb.key_image_block(&synthetic_key_image(seed))?;
        debug_assert_eq!(found.is_some(), seed < ki_total);
        Ok(())
    })?;
    let root = lmdb.merkle_root_at(outputs)?;
    let (mut sampled, mut checked) = (0u64, 0u64);
    let proofs = rate(a.seconds, || {
        let i = rng.next_u64() % outputs;
        let p = lmdb.membership_proof(i)?;
        // Check one proof in 64 end to end (reading the output), without timing mostly that.
        if i % 64 == 0
            && let Some(o) = lmdb.output(i)?
        {
            sampled += 1;
            checked += u64::from(p.verify(&o.leaf_hash(), &root).is_ok());
        }
        Ok(())
    })?;
    let past = lmdb.block_header(blocks / 2)?.map_or(1, |b| b.cumulative_txo_count);
    let past_proofs = rate(a.seconds / 2.0, || {
        lmdb.membership_proof_at(rng.next_u64() % past, past).map(|_| ())
    })?;
    let disk = lmdb.disk_size()?;

    // 3. Open time.
    drop(lmdb);
    let mut opens = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let l = LmdbLedger::open(&dir)?;
        l.num_blocks()?;
        opens.push(ms(t.elapsed()));
    }
    let open_ms = percentiles(opens).p50;
    let reopened = LmdbLedger::open(&dir)?;
    let height = reopened.num_blocks()?;
    let t = Instant::now();
    let sound = reopened.verify().is_ok();
    let verify_s = t.elapsed().as_secs_f64();
    drop(reopened);
    if a.dir.is_none() {
        std::fs::remove_dir_all(&dir)?;
    }

    let ratio = lmdb_first.mean / mem_first.mean.max(1e-9);
    if a.json {
        let v = json!({
            "outputs": outputs, "blocks": height, "key_images": key_images,
            "block_outputs": a.block_outputs, "block_key_images": a.block_key_images,
            "append_ms_per_block": app.mean, "append_ms_p50": app.p50, "append_ms_p99": app.p99,
            "append_ms_max": app.max,
            "append_blocks_per_sec": 1e3 / app.mean, "append_outputs_per_sec": 1e3 / app.mean * a.block_outputs as f64,
            "next_block_ms_per_block": nxt.mean,
            "compare_blocks": k, "lmdb_first_blocks_ms": lmdb_first.mean,
            "memory_first_blocks_ms": mem_first.mean, "lmdb_vs_memory_ratio": ratio,
            "key_image_lookups_per_sec": lookups, "membership_proofs_per_sec": proofs,
            "membership_proofs_past_height_per_sec": past_proofs, "proofs_sampled": sampled, "proofs_verified": checked,
            "open_ms_1m_outputs": open_ms, "verify_s": verify_s, "verify_sound": sound,
            "disk_bytes": disk,
        });
        println!("{v}");
    } else {
        println!(
            "ledger: {outputs} outputs in {height} blocks of {} outputs + {} key images; {disk} bytes on disk",
            a.block_outputs, a.block_key_images
        );
        println!(
            "append (durable)        mean {:.2} ms  p50 {:.2}  p99 {:.2}  max {:.2}  -> {:.0} blocks/s, {:.0} outputs/s",
            app.mean,
            app.p50,
            app.p99,
            app.max,
            1e3 / app.mean,
            1e3 / app.mean * a.block_outputs as f64
        );
        println!("next_block (root)       mean {:.2} ms", nxt.mean);
        println!(
            "first {k} blocks          LMDB {:.2} ms vs memory {:.2} ms  (ratio {ratio:.1}x)",
            lmdb_first.mean, mem_first.mean
        );
        println!("key-image lookups       {lookups:.0} /s");
        println!(
            "membership proofs       {proofs:.0} /s (current root), {past_proofs:.0} /s (root at block {})",
            blocks / 2
        );
        println!("open                    {open_ms:.2} ms");
        println!(
            "verify                  {verify_s:.1} s ({})",
            if sound { "sound" } else { "CORRUPT" }
        );
    }
    Ok(())
}
