//! `mcnode bench enclave [--json] [--rounds N] [--enclave-bin PATH]`: what the enclave
//! boundary adds to the well-formedness check of a 1-input/2-output transaction.
//!
//! Three variants, interleaved round by round so that load from other tenants hits all three
//! alike: `direct` (the trusted validation function, no boundary), `in-process` (the
//! `TxsAreWellFormed` call through `InProcessEnclave`: encode, decrypt the cached ciphertext,
//! validate, re-encrypt, decode the reply) and `process` (the same call through a
//! `mcnode-enclave` child over its pipe). Each sample is `calls` calls; the figure is the
//! median per call. Cost = CPU time of this process plus, for `process`, of the enclave
//! process (Linux `schedstat`), so the pipe's system-call work counts and other tenants'
//! load does not; wall time is reported beside it. The target: the boundary adds
//! under 10% (`process` / `direct` < 1.10).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use super::enclave_fixture::BoundaryFixture;
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_enclave::measurement::release_program;
use mcnode_enclave::trusted::txs::well_formed;
use mcnode_enclave::{Enclave, InProcessEnclave, ProcessEnclave, TrustedEnclave};
use serde_json::json;

/// Arguments of `mcnode bench enclave`.
#[derive(clap::Args, Debug)]
pub struct EnclaveArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Interleaved rounds (each measures every variant once).
    #[arg(long, default_value_t = 12)]
    rounds: usize,
    /// Calls per sample. Keep samples near 100 ms: the kernel's per-task CPU counters advance
    /// in scheduler ticks (up to 4 ms), which swamps samples of a few calls.
    #[arg(long, default_value_t = 50)]
    calls: usize,
    /// A separately built `mcnode-enclave` binary (default: this `mcnode` executable itself,
    /// through its hidden `enclave-process` subcommand).
    #[arg(long)]
    enclave_bin: Option<PathBuf>,
}

/// CPU nanoseconds of all threads of process `pid` ("self" for this one).
fn cpu_ns(pid: &str) -> Option<u64> {
    let mut total = 0u64;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let text = std::fs::read_to_string(entry.ok()?.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

#[derive(Default)]
struct Samples {
    cpu: Vec<f64>,
    wall: Vec<f64>,
}

fn measure(
    samples: &mut Samples,
    child: Option<&str>,
    calls: usize,
    mut f: impl FnMut() -> bool,
) -> Result<(), String> {
    let cpu = || -> Option<u64> { Some(cpu_ns("self")? + child.map_or(Some(0), cpu_ns)?) };
    let (c0, w0) = (cpu().ok_or("no /proc schedstat")?, Instant::now());
    for _ in 0..calls {
        if !f() {
            return Err("a well-formedness call failed".to_owned());
        }
    }
    let wall = w0.elapsed().as_nanos() as f64;
    let c1 = cpu().ok_or("no /proc schedstat")?;
    samples.cpu.push((c1 - c0) as f64 / calls as f64 / 1e6);
    samples.wall.push(wall / calls as f64 / 1e6);
    Ok(())
}

fn run_inner(args: &EnclaveArgs) -> Result<serde_json::Value, String> {
    let (bin, mut enclave_args) = match &args.enclave_bin {
        Some(p) => (p.clone(), Vec::new()),
        None => (
            std::env::current_exe().map_err(|e| e.to_string())?,
            vec![crate::cmd::enclave_process::SUBCOMMAND.to_owned()],
        ),
    };
    let f = BoundaryFixture::new(1000).map_err(|e| e.to_string())?;
    let root = SimRootKey::from_seed([1; 32]);
    let core =
        TrustedEnclave::new(SimPlatform::new(&root, [2; 32], 0, u64::MAX), release_program());
    let mut inproc = InProcessEnclave::new(core, [4; 32]);
    let tx_in = f.cache_in(&mut inproc, root.public()).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("mcnode-bench-enclave-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let seed = dir.join("platform-seed");
    std::fs::write(&seed, "11".repeat(32)).map_err(|e| e.to_string())?;
    enclave_args.push("--platform-seed-file".to_owned());
    enclave_args.push(seed.to_string_lossy().into_owned());
    let enclave_args: Vec<&str> = enclave_args.iter().map(String::as_str).collect();
    let mut proc = ProcessEnclave::spawn(&bin, &enclave_args)
        .map_err(|e| format!("starting {}: {e}", bin.display()))?;
    let child = proc.pid().to_string();
    let tx_proc =
        f.cache_in(&mut proc, SimRootKey::devnet().public()).map_err(|e| e.to_string())?;

    let mut s = [Samples::default(), Samples::default(), Samples::default()];
    for round in 0..args.rounds + 1 {
        for k in 0..3 {
            let v = (round + k) % 3;
            let mut scratch = Samples::default();
            // Round 0 warms caches and is discarded.
            let dst = if round == 0 { &mut scratch } else { &mut s[v] };
            match v {
                0 => measure(dst, None, args.calls, || {
                    well_formed(&f.proposal, f.size, 1, &f.highest, &f.context).is_ok()
                })?,
                1 => measure(dst, None, args.calls, || {
                    inproc.tx_is_well_formed(tx_in.clone(), 1, f.highest.clone()).is_ok()
                })?,
                _ => measure(dst, Some(&child), args.calls, || {
                    proc.tx_is_well_formed(tx_proc.clone(), 1, f.highest.clone()).is_ok()
                })?,
            }
        }
    }
    let _ = proc.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
    let names = ["direct", "in-process", "process"];
    let cpu: Vec<f64> = s.iter_mut().map(|x| median(&mut x.cpu)).collect();
    let wall: Vec<f64> = s.iter_mut().map(|x| median(&mut x.wall)).collect();
    let rows: Vec<_> = (0..3)
        .map(|i| {
            json!({
                "variant": names[i],
                "cpu_ms": cpu[i],
                "wall_ms": wall[i],
                "cpu_ratio_to_direct": cpu[i] / cpu[0],
                "wall_ratio_to_direct": wall[i] / wall[0],
            })
        })
        .collect();
    Ok(json!({
        "transaction": "1 input (ring 11) / 2 outputs, TxsAreWellFormed",
        "tx_bytes": f.size,
        "rounds": args.rounds,
        "calls_per_sample": args.calls,
        "results": rows,
        "process_over_in_process_cpu": cpu[2] / cpu[1],
        "boundary_overhead_cpu": cpu[2] / cpu[0] - 1.0,
        "target_met": cpu[2] / cpu[0] < 1.10,
    }))
}

/// Runs `mcnode bench enclave`.
pub fn run(args: EnclaveArgs) -> ExitCode {
    match run_inner(&args) {
        Ok(v) if args.json => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Ok(v) => {
            println!(
                "enclave boundary: {} ({} bytes)",
                v["transaction"].as_str().unwrap_or(""),
                v["tx_bytes"]
            );
            println!(
                "{:<12} {:>10} {:>10} {:>8} {:>8}",
                "variant", "cpu ms", "wall ms", "cpu x", "wall x"
            );
            for r in v["results"].as_array().into_iter().flatten() {
                println!(
                    "{:<12} {:>10.3} {:>10.3} {:>8.3} {:>8.3}",
                    r["variant"].as_str().unwrap_or(""),
                    r["cpu_ms"].as_f64().unwrap_or(f64::NAN),
                    r["wall_ms"].as_f64().unwrap_or(f64::NAN),
                    r["cpu_ratio_to_direct"].as_f64().unwrap_or(f64::NAN),
                    r["wall_ratio_to_direct"].as_f64().unwrap_or(f64::NAN),
                );
            }
            println!(
                "boundary overhead (process vs direct, CPU): {:.1}% (target < 10%)",
                v["boundary_overhead_cpu"].as_f64().unwrap_or(f64::NAN) * 100.0
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcnode bench enclave: {e}");
            ExitCode::from(2)
        }
    }
}
