//! The verification floor of `mcnode bench network`, measured in the same run as the load:
//! batched validation (`mcnode_tx::validation::verify_batch`, stateless + ledger rules) of
//! 1-input/2-output transactions on one thread, timed with process CPU time (so other
//! tenants of a shared machine do not inflate it), as `mcnode bench tx` measures its
//! `tx_1x2_batch_per_sec`. Every node verifies every transaction at least once, so a network
//! of `nodes` processes on `cores` cores cannot externalize more than
//! `cores x rate / nodes` transactions per second: that is the floor the sustained rate is
//! compared with.

use std::time::Instant;

use mcnode_tx::testkit::{Fixture, test_context};
use mcnode_tx::validation::verify_batch;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;

/// Ledger height of the fixture's transactions.
const HEIGHT: u64 = 10;

/// The single-core batched verification rate and the floor it gives.
pub struct Floor {
    /// Transactions per second verified in batches on one core.
    pub single_core_tx_per_sec: f64,
    /// Batch size measured.
    pub batch: usize,
    /// Cores of the machine (`std::thread::available_parallelism`).
    pub cores: usize,
    /// `cores x single_core_tx_per_sec / nodes`.
    pub floor_tx_per_sec: f64,
}

/// Process CPU seconds so far (`/proc/self/stat` utime + stime), `None` off Linux.
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / super::devnet_procs::clock_ticks_per_sec())
}

/// Builds `batch` distinct 1x2 transactions and verifies them as one batch on one thread for
/// at least `seconds` of CPU time.
pub fn measure(nodes: u32, batch: usize, seconds: f64) -> Result<Floor, String> {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let mut fx = Fixture::new(1000, &mut rng);
    let funded = fx.fund_sender(&vec![10_000; batch], &mut rng);
    let txs = (0..batch)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(2_000_000 + i as u64);
            fx.build(&funded[i..i + 1], 1, HEIGHT, &mut rng).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let ctx = test_context(HEIGHT);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| format!("thread pool: {e}"))?;
    let check = one.install(|| verify_batch(&txs, &ctx, &fx.ledger));
    if check.iter().any(|r| r.is_err()) {
        return Err("the floor's own transactions fail validation (a bug)".into());
    }
    let (wall, cpu0) = (Instant::now(), cpu_seconds());
    let mut rounds = 0u32;
    loop {
        std::hint::black_box(one.install(|| verify_batch(&txs, &ctx, &fx.ledger)).len());
        rounds += 1;
        let spent = match cpu_seconds().zip(cpu0) {
            Some((now, then)) => now - then,
            None => wall.elapsed().as_secs_f64(),
        };
        if spent >= seconds && spent > 0.0 {
            let rate = f64::from(rounds) * batch as f64 / spent;
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            return Ok(Floor {
                single_core_tx_per_sec: rate,
                batch,
                cores,
                floor_tx_per_sec: cores as f64 * rate / f64::from(nodes.max(1)),
            });
        }
    }
}
