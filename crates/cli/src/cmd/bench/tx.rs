//! `mcnode bench tx [--json] [--seconds S]`: what confidential transactions cost to verify.
//!
//! Per-operation costs (ring signature sign/verify for CLSAG and MLSAG at ring size 11, range
//! proof prove/verify alone and batched, key image, hash-to-point), then whole-transaction
//! validation (stateless + ledger checks against an in-memory ledger) of 1-input/2-output and
//! 16-input/16-output transactions, one at a time and in batches of 100 and 1000, on one
//! thread and on all cores. The "crypto floor" is ring-signature verification plus batched
//! range-proof verification per transaction, measured in the same run, so the ratio
//! `batch time / floor` shows what validation adds beyond the math; the ratio is the median of
//! five rounds that measure the floor and the batch back to back (a shared machine's load
//! changes within a run). A stage table shows where one transaction's time goes.
//!
//! Each figure is repeated calls for at least `--seconds` (after one warm-up call), timed with
//! the process's CPU time from `/proc/self/stat` (so other tenants' load on a shared machine
//! does not inflate it); single-thread figures run on the calling thread or a
//! one-thread rayon pool. Parallel speed-ups use wall time, one thread vs all, back to back.

use std::process::ExitCode;
use std::time::Instant;

use mcnode_crypto::backend::{AVX512_COMPILED, curve_backend};
use mcnode_crypto::{RISTRETTO_BASEPOINT_POINT, RistrettoPrivate, Scalar, domain, hash_to_point};
use mcnode_tx::Encode;
use mcnode_tx::builder::RingSource;
use mcnode_tx::builder::{SpendableOutput, assemble_ring};
use mcnode_tx::range::{self, PreparedRangeProof, RangeBatch};
use mcnode_tx::ring::{Clsag, Mlsag, RING_SIZE, RingMember};
use mcnode_tx::testkit::{Fixture, UniformDecoys, test_context};
use mcnode_tx::tx::Tx;
use mcnode_tx::validation::{
    ValidationContext, stateless::prepare_range_proof, validate_stateless, validate_with_ledger,
    verify_batch,
};
use mcnode_tx::{CompressedCommitment, KeyImage, TokenId};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;
use serde_json::{Map, Value, json};

/// Arguments of `mcnode bench tx`.
#[derive(clap::Args, Debug)]
pub struct TxArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Minimum seconds spent on each measurement.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Largest batch measured (1000 as the issue asks; smaller for a quick run).
    #[arg(long, default_value_t = 1000)]
    max_batch: usize,
}

const HEIGHT: u64 = 10;

/// Rounds of back-to-back floor and batch measurements behind the ratios to the floor.
const ROUNDS: usize = 5;

/// (lowest, median, highest) of `v` (sorted in place; `v` is never empty here).
fn spread(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |i: usize| v.get(i).copied().unwrap_or(f64::NAN);
    (at(0), at(v.len() / 2), at(v.len().saturating_sub(1)))
}

/// Clock ticks per second of `/proc/*/stat` times (`CLK_TCK`, 100 on Linux x86-64).
const TICKS_PER_SECOND: u64 = 100;

/// User + system CPU time in a `/proc/.../stat` line, in nanoseconds (fields 14 and 15,
/// counted after the parenthesised command name, which may contain spaces).
fn stat_cpu_ns(text: &str) -> Option<u64> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so fields 14 and 15 are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * (1_000_000_000 / TICKS_PER_SECOND))
}

/// CPU time consumed by all threads of this process so far, in nanoseconds (Linux
/// `/proc/self/stat`, 10 ms resolution). `None` where unavailable.
fn process_cpu_ns() -> Option<u64> {
    stat_cpu_ns(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// CPU time per thread of this process, by thread id, in nanoseconds.
fn thread_cpu_ns() -> Option<std::collections::HashMap<String, u64>> {
    let mut out = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let entry = entry.ok()?;
        if let Some(ns) =
            std::fs::read_to_string(entry.path().join("stat")).ok().as_deref().and_then(stat_cpu_ns)
        {
            out.insert(entry.file_name().to_string_lossy().into_owned(), ns);
        }
    }
    Some(out)
}

/// Runs `f` once and returns (total CPU seconds of all threads, CPU seconds of the busiest
/// thread). `total / busiest` is the speed-up the work allows with enough idle cores: unlike
/// wall time it does not depend on whether other tenants leave a core free.
fn cpu_split(f: impl FnOnce()) -> Option<(f64, f64)> {
    let before = thread_cpu_ns()?;
    f();
    let after = thread_cpu_ns()?;
    let deltas: Vec<u64> = after
        .iter()
        .map(|(tid, ns)| ns.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .collect();
    let total = deltas.iter().sum::<u64>() as f64 / 1e9;
    let busiest = deltas.iter().copied().max().unwrap_or(0) as f64 / 1e9;
    Some((total, busiest))
}

/// Which clock a measurement reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// CPU time of the whole process: insensitive to other tenants' load; right for work done
    /// by one thread at a time.
    Cpu,
    /// Wall time: needed for parallel speed-ups.
    Wall,
}

struct Stopwatch {
    clock: Clock,
    wall: Instant,
    cpu: u64,
}

impl Stopwatch {
    fn start(clock: Clock) -> Self {
        let clock =
            if clock == Clock::Cpu && process_cpu_ns().is_none() { Clock::Wall } else { clock };
        Stopwatch { clock, wall: Instant::now(), cpu: process_cpu_ns().unwrap_or(0) }
    }

    fn seconds(&self) -> f64 {
        match self.clock {
            Clock::Wall => self.wall.elapsed().as_secs_f64(),
            Clock::Cpu => {
                process_cpu_ns().map_or(0.0, |now| now.saturating_sub(self.cpu) as f64 / 1e9)
            }
        }
    }
}

/// Seconds per call of `f` on `clock`. Wall clock: the median over 5 slices of at least
/// `seconds / 5` each. CPU clock (10 ms ticks): total CPU time over at least `seconds` divided
/// by the calls. Both after one warm-up call, unless one call already takes that long.
fn measure_on(clock: Clock, seconds: f64, mut f: impl FnMut()) -> f64 {
    let slices = if clock == Clock::Cpu && process_cpu_ns().is_some() { 1 } else { 5 };
    let slice = seconds / slices as f64;
    let warm = Stopwatch::start(clock);
    f();
    let first = warm.seconds();
    let mut per_call = Vec::with_capacity(slices);
    if first >= slice {
        per_call.push(first);
    }
    while per_call.len() < slices {
        let wall = Instant::now();
        let sw = Stopwatch::start(clock);
        let mut n = 0u32;
        while n == 0 || wall.elapsed().as_secs_f64() < slice {
            f();
            n += 1;
        }
        per_call.push(sw.seconds() / f64::from(n));
    }
    per_call.sort_by(f64::total_cmp);
    per_call[per_call.len() / 2]
}

/// [`measure_on`] with process CPU time.
fn measure(seconds: f64, f: impl FnMut()) -> f64 {
    measure_on(Clock::Cpu, seconds, f)
}

struct Report {
    fields: Map<String, Value>,
    json: bool,
}

impl Report {
    fn put(&mut self, key: &str, value: f64, unit: &str, what: &str) {
        let rounded = (value * 1000.0).round() / 1000.0;
        self.fields.insert(key.to_string(), json!(rounded));
        if !self.json {
            println!("{what:<58} {rounded:>14.3} {unit:<6} ({key})");
        }
    }

    fn section(&self, title: &str) {
        if !self.json {
            println!("\n{title}");
        }
    }
}

fn progress(json: bool, msg: &str) {
    if !json {
        eprintln!("... {msg}");
    }
}

fn one_thread_pool(n: usize) -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new().num_threads(n).build().ok()
}

/// Builds `count` distinct transactions with `inputs` inputs and `inputs`/`payments` shape.
fn build_many(
    fx: &Fixture,
    funded: &[SpendableOutput],
    inputs: usize,
    payments: usize,
    count: usize,
) -> Result<Vec<Tx>, String> {
    (0..count)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(1_000_000 + i as u64);
            fx.build(&funded[i * inputs..(i + 1) * inputs], payments, HEIGHT, &mut rng)
                .map_err(|e| e.to_string())
        })
        .collect()
}

fn all_ok(results: &[Result<(), mcnode_tx::validation::TxError>]) -> bool {
    results.iter().all(|r| r.is_ok())
}

/// Runs the benchmark.
pub fn run(args: TxArgs) -> ExitCode {
    match run_inner(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench tx failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: &TxArgs) -> Result<(), String> {
    let s = args.seconds;
    let mut r = Report { fields: Map::new(), json: args.json };
    let single = one_thread_pool(1).ok_or("cannot start a thread pool")?;
    let all_threads = rayon::current_num_threads();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let batch_big = args.max_batch.max(100);

    progress(args.json, "building ledger and funding accounts");
    let n1 = batch_big;
    let n16 = 100usize;
    let mut fx = Fixture::new(1000, &mut rng);
    let funded1 = fx.fund_sender(&vec![10_000; n1], &mut rng);
    let funded16 = fx.fund_sender(&vec![10_000; 16 * n16], &mut rng);
    let ctx: ValidationContext = test_context(HEIGHT);

    let backend = curve_backend().name();
    if !args.json {
        println!(
            "curve25519-dalek backend: {backend} (AVX-512 IFMA code compiled in: {})",
            if AVX512_COMPILED { "yes" } else { "no" }
        );
    }

    // ---- per-operation costs -------------------------------------------------------------
    r.section("Per operation (one thread)");
    let point = RISTRETTO_BASEPOINT_POINT * Scalar::random(&mut rng);
    let k = Scalar::random(&mut rng);
    r.put(
        "scalar_mult_us",
        1e6 * measure(s, || {
            std::hint::black_box(std::hint::black_box(point) * std::hint::black_box(k));
        }),
        "us",
        "variable-base scalar multiplication",
    );
    let pk = fx.ledger.outputs()[0].target_key;
    r.put(
        "hash_to_point_us",
        1e6 * measure(s, || {
            std::hint::black_box(hash_to_point(domain::KEY_IMAGE_BASE, pk.as_bytes()));
        }),
        "us",
        "hash to point (Blake2b-512 + Elligator)",
    );
    let x = RistrettoPrivate::random(&mut rng);
    r.put(
        "key_image_us",
        1e6 * measure(s, || {
            std::hint::black_box(KeyImage::from_onetime_private(&x));
        }),
        "us",
        "key image x*Hp(xG)",
    );

    let input = &funded1[0];
    let owned = input.tx_out.view(&fx.sender, 0).map_err(|e| e.to_string())?;
    let decoys = UniformDecoys::new(fx.ledger.outputs(), 3).decoys(&input.tx_out, RING_SIZE - 1);
    let (ring_outs, real) = assemble_ring(input.tx_out, decoys).ok_or("bad decoys")?;
    let ring: Vec<RingMember> = ring_outs.iter().map(RingMember::from).collect();
    let pseudo_blinding = Scalar::random(&mut rng);
    let pseudo = CompressedCommitment::from_point(&mcnode_tx::amount::commit(
        owned.amount,
        &pseudo_blinding,
    ));
    let msg = [42u8; 32];
    let clsag = Clsag::sign(
        &msg,
        &ring,
        real,
        &owned.onetime_private,
        owned.blinding.scalar(),
        &pseudo_blinding,
        &mut rng,
    )
    .map_err(|e| e.to_string())?;
    let mlsag = Mlsag::sign(
        &msg,
        &ring,
        real,
        &owned.onetime_private,
        owned.blinding.scalar(),
        &pseudo_blinding,
        &mut rng,
    )
    .map_err(|e| e.to_string())?;
    clsag.verify(&msg, &ring, &pseudo).map_err(|e| e.to_string())?;
    mlsag.verify(&msg, &ring, &pseudo).map_err(|e| e.to_string())?;
    r.put(
        "clsag_sign_us",
        1e6 * measure(s, || {
            std::hint::black_box(
                Clsag::sign(
                    &msg,
                    &ring,
                    real,
                    &owned.onetime_private,
                    owned.blinding.scalar(),
                    &pseudo_blinding,
                    &mut rng,
                )
                .ok(),
            );
        }),
        "us",
        "CLSAG sign, ring 11",
    );
    let clsag_verify = measure(s, || {
        std::hint::black_box(clsag.verify(&msg, &ring, &pseudo).is_ok());
    });
    r.put("clsag_verify_us", 1e6 * clsag_verify, "us", "CLSAG verify, ring 11");
    r.put(
        "mlsag_sign_us",
        1e6 * measure(s, || {
            std::hint::black_box(
                Mlsag::sign(
                    &msg,
                    &ring,
                    real,
                    &owned.onetime_private,
                    owned.blinding.scalar(),
                    &pseudo_blinding,
                    &mut rng,
                )
                .ok(),
            );
        }),
        "us",
        "MLSAG (2 columns) sign, ring 11",
    );
    let mlsag_verify = measure(s, || {
        std::hint::black_box(mlsag.verify(&msg, &ring, &pseudo).is_ok());
    });
    r.put("mlsag_verify_us", 1e6 * mlsag_verify, "us", "MLSAG (2 columns) verify, ring 11");
    r.put(
        "clsag_over_mlsag_verify",
        clsag_verify / mlsag_verify,
        "ratio",
        "CLSAG / MLSAG verify time",
    );
    r.put(
        "clsag_bytes",
        clsag.to_canonical_bytes().len() as f64,
        "B",
        "CLSAG size incl. key image",
    );
    r.put(
        "mlsag_bytes",
        mlsag.to_canonical_bytes().len() as f64,
        "B",
        "MLSAG size incl. key image",
    );

    let o1 = vec![(5u64, Scalar::random(&mut rng))];
    let o2 = vec![(5u64, Scalar::random(&mut rng)), (6u64, Scalar::random(&mut rng))];
    r.put(
        "range_prove_1_us",
        1e6 * measure(s, || {
            std::hint::black_box(range::prove(&o1, TokenId(0), &mut rng).ok());
        }),
        "us",
        "range proof prove, 1 output",
    );
    r.put(
        "range_prove_2_us",
        1e6 * measure(s, || {
            std::hint::black_box(range::prove(&o2, TokenId(0), &mut rng).ok());
        }),
        "us",
        "range proof prove, 2 outputs aggregated",
    );

    progress(
        args.json,
        &format!("building {n1} 1-input/2-output and {n16} 16-input/16-output transactions"),
    );
    let t_build = Instant::now();
    let txs1 = build_many(&fx, &funded1, 1, 1, n1)?;
    let txs16 = build_many(&fx, &funded16, 16, 15, n16)?;
    progress(args.json, &format!("built in {:.1} s", t_build.elapsed().as_secs_f64()));

    // Range-proof figures verify pre-parsed proofs laid out for the library (no copies), so
    // they are the pure verification cost that the crypto floor is made of.
    let batch_of = |txs: &[Tx], n: usize| -> Result<RangeBatch, String> {
        let prepared: Vec<PreparedRangeProof> = txs
            .iter()
            .take(n)
            .map(prepare_range_proof)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        RangeBatch::new(prepared).ok_or_else(|| "range proofs of mixed shapes".to_string())
    };
    let (one1, batch1, one16, batch16) =
        (batch_of(&txs1, 1)?, batch_of(&txs1, 64)?, batch_of(&txs16, 1)?, batch_of(&txs16, 64)?);
    batch1.verify().map_err(|e| e.to_string())?;
    batch16.verify().map_err(|e| e.to_string())?;
    let rv2 = measure(s, || {
        std::hint::black_box(one1.verify().is_ok());
    });
    r.put("range_verify_2_us", 1e6 * rv2, "us", "range proof verify, 2 outputs, alone");
    let rv2b = measure(s, || {
        std::hint::black_box(batch1.verify().is_ok());
    }) / batch1.len() as f64;
    r.put(
        "range_verify_2_batch64_us",
        1e6 * rv2b,
        "us",
        "range proof verify, 2 outputs, per proof in batch of 64",
    );
    let rv16 = measure(s, || {
        std::hint::black_box(one16.verify().is_ok());
    });
    r.put("range_verify_16_us", 1e6 * rv16, "us", "range proof verify, 16 outputs, alone");
    let rv16b = measure(s, || {
        std::hint::black_box(batch16.verify().is_ok());
    }) / batch16.len() as f64;
    r.put(
        "range_verify_16_batch64_us",
        1e6 * rv16b,
        "us",
        "range proof verify, 16 outputs, per proof in batch of 64",
    );

    // ---- whole transactions --------------------------------------------------------------
    r.section("Whole transactions: stateless + ledger validation");
    r.put("tx_1x2_bytes", txs1[0].to_canonical_bytes().len() as f64, "B", "1x2 transaction size");
    r.put(
        "tx_16x16_bytes",
        txs16[0].to_canonical_bytes().len() as f64,
        "B",
        "16x16 transaction size",
    );
    let floor1 = clsag_verify + rv2b;
    let floor16 = 16.0 * clsag_verify + rv16b;
    r.put(
        "crypto_floor_1x2_us",
        1e6 * floor1,
        "us",
        "crypto floor 1x2 (1 CLSAG + batched range proof)",
    );
    r.put(
        "crypto_floor_16x16_us",
        1e6 * floor16,
        "us",
        "crypto floor 16x16 (16 CLSAG + batched range proof)",
    );

    r.section("Where a 1x2 transaction's time goes (one thread, each stage alone)");
    for st in super::tx_stages::measure_stages(&txs1, &ctx, &fx.ledger, &mut |f| measure(s, f)) {
        r.put(st.key, 1e6 * st.seconds, "us", st.what);
    }
    r.section(&format!("Where a 1x2 batch of {n1} goes (one thread, per transaction)"));
    let batch_stages = single.install(|| {
        super::tx_stages::measure_batch_stages(&txs1, &ctx, &fx.ledger, &mut |f| measure(s, f))
    })?;
    for st in batch_stages {
        r.put(st.key, 1e6 * st.seconds, "us", st.what);
    }

    let one_at_a_time = |txs: &[Tx]| {
        let mut i = 0usize;
        measure(s, || {
            let tx = &txs[i % txs.len()];
            i += 1;
            let ok = validate_stateless(tx, &ctx).is_ok()
                && validate_with_ledger(tx, &fx.ledger).is_ok();
            std::hint::black_box(ok);
        })
    };
    let t = one_at_a_time(&txs1);
    r.put("tx_1x2_per_sec", 1.0 / t, "tx/s", "1x2, one at a time, one thread");
    let t = one_at_a_time(&txs16);
    r.put("tx_16x16_per_sec", 1.0 / t, "tx/s", "16x16, one at a time, one thread");

    let batch_on = |clock: Clock, pool: &rayon::ThreadPool, txs: &[Tx]| -> Result<f64, String> {
        let res = pool.install(|| verify_batch(txs, &ctx, &fx.ledger));
        if !all_ok(&res) {
            return Err(format!(
                "a benchmark transaction failed validation: {:?}",
                res.iter().find(|r| r.is_err())
            ));
        }
        Ok(measure_on(clock, s, || {
            std::hint::black_box(pool.install(|| verify_batch(txs, &ctx, &fx.ledger)).len());
        }) / txs.len() as f64)
    };
    let batch = |pool: &rayon::ThreadPool, txs: &[Tx]| batch_on(Clock::Cpu, pool, txs);
    let b100 = batch(&single, &txs1[..100])?;
    r.put("tx_1x2_batch100_per_sec", 1.0 / b100, "tx/s", "1x2, batch of 100, one thread");
    let b1000 = batch(&single, &txs1)?;
    r.put("tx_1x2_batch_per_sec", 1.0 / b1000, "tx/s", &format!("1x2, batch of {n1}, one thread"));
    let c100 = batch(&single, &txs16)?;
    r.put("tx_16x16_batch100_per_sec", 1.0 / c100, "tx/s", "16x16, batch of 100, one thread");
    // The ratios to the floor: on a shared machine the load changes between the floor's
    // measurement (above) and the batch's, so the floor and the batches are measured again
    // back to back in ROUNDS rounds and the median of the per-round ratios is reported (the
    // single measurements above stay as absolute figures).
    let mut ratios1 = Vec::with_capacity(ROUNDS);
    let mut ratios16 = Vec::with_capacity(ROUNDS);
    let half = s / 2.0;
    for _ in 0..ROUNDS {
        let cv = measure(half, || {
            std::hint::black_box(clsag.verify(&msg, &ring, &pseudo).is_ok());
        });
        let r2 = measure(half, || {
            std::hint::black_box(batch1.verify().is_ok());
        }) / batch1.len() as f64;
        let r16 = measure(half, || {
            std::hint::black_box(batch16.verify().is_ok());
        }) / batch16.len() as f64;
        ratios1.push(batch(&single, &txs1)? / (cv + r2));
        ratios16.push(batch(&single, &txs16)? / (16.0 * cv + r16));
    }
    let (lo1, med1, hi1) = spread(&mut ratios1);
    let (lo16, med16, hi16) = spread(&mut ratios16);
    r.put(
        "tx_1x2_batch_over_floor",
        med1,
        "ratio",
        &format!("1x2 batch time per tx / crypto floor (median of {ROUNDS} rounds)"),
    );
    r.put("tx_1x2_batch_over_floor_min", lo1, "ratio", "  lowest round");
    r.put("tx_1x2_batch_over_floor_max", hi1, "ratio", "  highest round");
    r.put(
        "tx_16x16_batch_over_floor",
        med16,
        "ratio",
        &format!("16x16 batch time per tx / crypto floor (median of {ROUNDS} rounds)"),
    );
    r.put("tx_16x16_batch_over_floor_min", lo16, "ratio", "  lowest round");
    r.put("tx_16x16_batch_over_floor_max", hi16, "ratio", "  highest round");
    // A 1000-transaction 16x16 batch reuses the 100 distinct transactions ten times: every
    // cryptographic check runs for each copy; the final cross-transaction key-image check
    // then rejects the copies (it is a hash-set lookup per key image).
    let rep: Vec<Tx> = (0..10).flat_map(|_| txs16.iter().cloned()).collect();
    let t = measure(s, || {
        std::hint::black_box(single.install(|| verify_batch(&rep, &ctx, &fx.ledger)).len());
    }) / rep.len() as f64;
    r.put(
        "tx_16x16_batch1000_per_sec",
        1.0 / t,
        "tx/s",
        "16x16, batch of 1000 (100 distinct x10), one thread",
    );

    r.section(&format!("Parallel ({all_threads} threads)"));
    let all = one_thread_pool(all_threads).ok_or("cannot start a thread pool")?;
    // Speed-ups compare wall time with one thread and with all threads, back to back.
    let w1 = batch_on(Clock::Wall, &single, &txs1)?;
    let p1 = batch_on(Clock::Wall, &all, &txs1)?;
    r.put(
        "tx_1x2_batch_per_sec_wall_1_thread",
        1.0 / w1,
        "tx/s",
        &format!("1x2, batch of {n1}, 1 thread, wall clock"),
    );
    r.put(
        "tx_1x2_batch_per_sec_all_threads",
        1.0 / p1,
        "tx/s",
        &format!("1x2, batch of {n1}, {all_threads} threads, wall clock"),
    );
    r.put("parallel_speedup_1x2", w1 / p1, "x", "speed-up over one thread");
    let w16 = batch_on(Clock::Wall, &single, &txs16)?;
    let p16 = batch_on(Clock::Wall, &all, &txs16)?;
    r.put(
        "tx_16x16_batch100_per_sec_wall_1_thread",
        1.0 / w16,
        "tx/s",
        "16x16, batch of 100, 1 thread, wall clock",
    );
    r.put(
        "tx_16x16_batch100_per_sec_all_threads",
        1.0 / p16,
        "tx/s",
        &format!("16x16, batch of 100, {all_threads} threads, wall clock"),
    );
    r.put("parallel_speedup_16x16", w16 / p16, "x", "speed-up over one thread");
    // The same work split over the pool's threads, measured by CPU time per thread.
    let split = |txs: &[Tx]| {
        let mut best: Option<(f64, f64)> = None;
        for _ in 0..3 {
            let got = cpu_split(|| {
                std::hint::black_box(all.install(|| verify_batch(txs, &ctx, &fx.ledger)).len());
            });
            if let Some((t, b)) = got
                && best.is_none_or(|(_, bb)| b < bb)
            {
                best = Some((t, b));
            }
        }
        best
    };
    if let Some((total, busiest)) = split(&txs1) {
        r.put(
            "parallel_cpu_bound_speedup_1x2",
            total / busiest,
            "x",
            "1x2 batch: total CPU / busiest thread's CPU",
        );
        r.put(
            "parallel_cpu_per_tx_ratio_1x2",
            (total / txs1.len() as f64) / b1000,
            "ratio",
            "1x2 batch: CPU per tx with all threads / one thread",
        );
    }
    if let Some((total, busiest)) = split(&txs16) {
        r.put(
            "parallel_cpu_bound_speedup_16x16",
            total / busiest,
            "x",
            "16x16 batch: total CPU / busiest thread's CPU",
        );
    }
    r.fields.insert(
        "clock".into(),
        json!(if process_cpu_ns().is_some() {
            "process CPU time (/proc/self/stat, 10 ms ticks) unless marked wall clock"
        } else {
            "wall clock (no /proc/self/stat)"
        }),
    );

    r.fields.insert("curve_backend".into(), json!(backend));
    r.fields.insert("curve_backend_avx512_compiled".into(), json!(AVX512_COMPILED));
    r.fields.insert("threads".into(), json!(all_threads));
    r.fields.insert("seconds_per_measurement".into(), json!(s));
    r.fields.insert("compiled_avx2".into(), json!(cfg!(target_feature = "avx2")));
    r.fields.insert("compiled_avx512ifma".into(), json!(cfg!(target_feature = "avx512ifma")));
    if args.json {
        println!("{}", Value::Object(r.fields));
    }
    Ok(())
}
