//! `mcnode bench network [--nodes 4] [--seconds 10] [--devnet DIR] [--json]`: what a loopback
//! network of `mcnode run` processes can carry, against what the machine's cryptography
//! allows (issue 14).
//!
//! 1. A devnet made by `mcnode devnet init --load-outputs N` (in a temporary directory, or in
//!    `--devnet DIR`, made there if missing); its nodes are started as child processes, or,
//!    when DIR's nodes already answer, attached to (measured, never signalled).
//! 2. A pool of independent one-input transactions is built from the load outputs before any
//!    measurement ([`super::network_load`]); so is the verification floor
//!    ([`super::network_floor`]): cores x batched single-core verification rate / nodes.
//! 3. Rate search, open loop through the client API: rate steps of `--seconds` each, doubling
//!    from `--start-rate` until a step is not sustained, then `--bisect` steps between the
//!    best sustained and the first failed rate. A step is sustained when every node agrees on
//!    its blocks afterwards, at most 1% of its transactions are refused, every accepted one
//!    reaches a block, the externalized rate (the step's transactions over the time from the
//!    step's start to the last of them seen in a block: the send time plus the latency tail)
//!    is at least 80% of the offered rate, and p99 submit-to-block latency is at most
//!    `--max-p99-ms`.
//! 4. One more step at half the sustained rate gives the p50/p99 latency.
//! 5. CPU (utime + stime of each node and its enclave process, `/proc/PID/stat`) during the
//!    best sustained step, and peak memory (`VmHWM`) of each node at the end.
//!
//! `--rate R` skips the search: one step at R (what `scripts/soak.sh` runs), with a timeline of
//! transactions externalized per 10 s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::devnet::{agreement, percentile, wait_connected};
use super::devnet_client::Network;
use super::devnet_procs::{NodeProc, clock_ticks_per_sec, cpu_ticks_split, get, info, stop_all};
use super::network_floor;
use super::network_load::{self, LoadTx, Seen, Sent, Target};

/// Arguments of `bench network`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  mcnode bench network\n  \
    mcnode bench network --nodes 4 --seconds 10 --json\n  \
    mcnode bench network --devnet ./loadnet --pool 20000 --start-rate 20\n  \
    mcnode bench network --devnet ./loadnet --rate 15 --seconds 600   # fixed rate (soak)\n\n\
    Exit codes: 0 measured with every node agreeing; 1 disagreement or failure.")]
pub struct NetworkArgs {
    /// Nodes of a devnet made here (each needs two thirds of the others).
    #[arg(long, default_value_t = 4)]
    nodes: u32,
    /// Seconds of load at each rate step.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Use the devnet in DIR (made with `devnet init --load-outputs`), attaching to its nodes
    /// if they run; made there (and kept) if DIR is missing or empty. Default: a temporary
    /// devnet, removed at the end.
    #[arg(long, value_name = "DIR")]
    devnet: Option<PathBuf>,
    /// Transactions built before the measurement (and load outputs of a devnet made here).
    #[arg(long, default_value_t = 4000)]
    pool: u32,
    /// First offered rate of the search, transactions per second.
    #[arg(long, default_value_t = 10.0)]
    start_rate: f64,
    /// Steps that bisect between the best sustained and the first failed rate.
    #[arg(long, default_value_t = 2)]
    bisect: u32,
    /// Offer this one rate (no search, no half-rate step): for soaks.
    #[arg(long)]
    rate: Option<f64>,
    /// A step whose p99 submit-to-block latency exceeds this is saturated, milliseconds.
    #[arg(long, default_value_t = 5000)]
    max_p99_ms: u64,
    /// Attested client sessions per node (transactions to one node go round robin over them).
    #[arg(long, default_value_t = 4)]
    sessions: usize,
    /// Least time between blocks of a devnet made here, milliseconds.
    #[arg(long, default_value_t = 1000)]
    block_interval_ms: u64,
    /// Transactions in the floor's verification batch.
    #[arg(long, default_value_t = 200)]
    floor_batch: usize,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

fn note(a: &NetworkArgs, msg: &str) {
    if !a.json {
        eprintln!("... {msg}");
    }
}

/// `devnet init` in `dir` with load outputs; returns the manifest.
fn init(exe: &Path, dir: &Path, a: &NetworkArgs) -> Result<Value, String> {
    let out = Command::new(exe)
        .args(["devnet", "init"])
        .arg(dir)
        .args(["--nodes", &a.nodes.to_string()])
        .args(["--block-interval-ms", &a.block_interval_ms.to_string()])
        .args(["--load-outputs", &a.pool.to_string(), "--json"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("devnet init: {}", String::from_utf8_lossy(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("devnet init --json: {e}"))
}

/// The manifest of `dir` (made now if missing or empty).
fn manifest(exe: &Path, dir: &Path, a: &NetworkArgs) -> Result<Value, String> {
    let m = dir.join("devnet.json");
    if m.exists() {
        let text = std::fs::read_to_string(&m).map_err(|e| format!("{}: {e}", m.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", m.display()))
    } else {
        init(exe, dir, a)
    }
}

/// What one rate step measured.
struct Step {
    report: Value,
    sustained: bool,
    externalized: f64,
    latencies: Vec<f64>,
}

/// Judges one step's submissions against the blocks seen.
fn judge(
    a: &NetworkArgs,
    rate: f64,
    sent: &[Sent],
    seen: &Seen,
    agree: bool,
    cpu: Vec<Value>,
    start: Instant,
) -> Step {
    let mut refusals: BTreeMap<String, u64> = BTreeMap::new();
    let mut latencies = Vec::new();
    let mut per_block: BTreeMap<u64, (Instant, u64)> = BTreeMap::new();
    let mut accepted = 0u64;
    for s in sent {
        if s.result != "Ok" {
            *refusals.entry(s.result.clone()).or_default() += 1;
            continue;
        }
        accepted += 1;
        if let Some((at, block)) = seen.at.get(&s.key_image) {
            latencies.push(at.saturating_duration_since(s.scheduled).as_secs_f64() * 1000.0);
            per_block.entry(*block).or_insert((*at, 0)).1 += 1;
        }
    }
    let included = latencies.len() as u64;
    // From the step's first send to the last of its transactions seen in a block: a network that
    // keeps up ends one latency after the last send, one that does not falls further behind.
    // (Counting from the step's first block instead made one straggling block halve the
    // figure of a step whose every transaction was in within 1.3 s.)
    // The step starts at its first scheduled send (the sessions are opened before it).
    let first_due = sent.iter().map(|s| s.scheduled).min().unwrap_or(start);
    let last_seen = per_block.values().map(|(at, _)| *at).max();
    let externalized = match last_seen {
        Some(last) if last > first_due => {
            included as f64 / last.duration_since(first_due).as_secs_f64()
        }
        _ => included as f64 / a.seconds.max(1) as f64,
    };
    let mut timeline = Vec::new();
    if a.rate.is_some() {
        let mut buckets: BTreeMap<u64, u64> = BTreeMap::new();
        for (at, n) in per_block.values() {
            *buckets.entry(at.saturating_duration_since(start).as_secs() / 10).or_default() += n;
        }
        timeline = buckets
            .into_iter()
            .map(|(b, n)| json!({"from_s": b * 10, "tx_per_sec": n as f64 / 10.0}))
            .collect();
    }
    latencies.sort_by(f64::total_cmp);
    let p99 = percentile(&latencies, 99.0);
    let refused: u64 = refusals.values().sum();
    let sustained = agree
        && refused * 100 <= sent.len() as u64
        && included == accepted
        && externalized >= 0.8 * rate
        && p99.is_some_and(|p| p <= a.max_p99_ms as f64);
    let report = json!({
        "offered_tx_per_sec": rate, "submitted": sent.len(), "accepted": accepted,
        "included": included, "refusals": refusals, "externalized_tx_per_sec": externalized,
        "blocks": per_block.len(), "p50_ms": percentile(&latencies, 50.0), "p99_ms": p99,
        "agreement": agree, "sustained": sustained, "cpu_percent": cpu, "timeline": timeline,
    });
    Step { report, sustained, externalized, latencies }
}

/// Waits (at most 30 s) until no node holds pending transactions.
fn wait_pools_empty(nodes: &[NodeProc]) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(30) {
        let busy = nodes
            .iter()
            .any(|n| info(&n.admin).is_none_or(|i| i["pool_size"].as_u64().is_none_or(|p| p > 0)));
        if !busy {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The load phase: pool, floor, search, half-rate step.
struct Run<'a> {
    a: &'a NetworkArgs,
    nodes: &'a [NodeProc],
    rt: tokio::runtime::Runtime,
    target: Target<'a>,
    watcher: mcnode_client::GrpcNode,
    seen: std::cell::RefCell<Seen>,
    pool: Vec<LoadTx>,
    cursor: usize,
}

impl Run<'_> {
    /// Offers `rate` for `--seconds` from the unused part of the pool (`None`: pool exhausted).
    fn step(&mut self, rate: f64) -> Result<Option<Step>, String> {
        let a = self.a;
        let need = (rate * a.seconds as f64).ceil().max(1.0) as usize;
        if self.cursor + need > self.pool.len() {
            if a.rate.is_some() {
                return Err(format!(
                    "--rate {rate} for {} s needs {need} transactions; the pool has {} unused \
                     (raise --pool, or use a devnet with more unspent load outputs)",
                    a.seconds,
                    self.pool.len() - self.cursor
                ));
            }
            return Ok(None);
        }
        note(a, &format!("offering {rate:.1} tx/s for {} s ({need} transactions)", a.seconds));
        let txs = &self.pool[self.cursor..self.cursor + need];
        self.cursor += need;
        let hz = clock_ticks_per_sec();
        let before: Vec<(u64, u64)> = self.nodes.iter().map(|n| cpu_ticks_split(n.pid)).collect();
        let start = Instant::now();
        let drain = Duration::from_millis(5 * a.block_interval_ms.max(1000) + 5000);
        let sent = self.rt.block_on(network_load::run_load(
            &self.target,
            &mut self.watcher,
            &self.seen,
            txs,
            rate,
            drain,
        ))?;
        let dt = start.elapsed().as_secs_f64();
        let cpu = self
            .nodes
            .iter()
            .zip(before)
            .map(|(n, b)| {
                let (own, enclave) = cpu_ticks_split(n.pid);
                let pct = |now: u64, then: u64| now.saturating_sub(then) as f64 / hz / dt * 100.0;
                let (own, enclave) = (pct(own, b.0), pct(enclave, b.1));
                json!({"node": n.name, "percent": own + enclave, "node_process": own,
                    "enclave_process": enclave})
            })
            .collect();
        let (agree, _) = agreement(self.nodes);
        let s = judge(a, rate, &sent, &self.seen.borrow(), agree, cpu, start);
        note(
            a,
            &format!(
                "  externalized {:.1} tx/s, p99 {} ms, refused {}, {}",
                s.externalized,
                s.report["p99_ms"].as_f64().map_or("-".into(), |p| format!("{p:.0}")),
                s.report["refusals"],
                if s.sustained { "sustained" } else { "NOT sustained" }
            ),
        );
        wait_pools_empty(self.nodes);
        Ok(Some(s))
    }
}

/// The rate search; returns (steps, index of the best sustained step, pool exhausted?).
fn search(run: &mut Run<'_>) -> Result<(Vec<Step>, Option<usize>, bool), String> {
    let a = run.a;
    let mut steps: Vec<Step> = Vec::new();
    let (mut good, mut bad): (Option<(f64, usize)>, Option<f64>) = (None, None);
    let mut rate = a.rate.unwrap_or(a.start_rate).max(0.1);
    let mut bisections = 0;
    loop {
        let Some(s) = run.step(rate)? else { return Ok((steps, good.map(|g| g.1), true)) };
        let ok = s.sustained;
        steps.push(s);
        if a.rate.is_some() {
            return Ok((steps, ok.then_some(0), false));
        }
        if ok && good.is_none_or(|g| steps[g.1].externalized < steps[steps.len() - 1].externalized)
        {
            good = Some((rate, steps.len() - 1));
        }
        if !ok {
            bad = Some(bad.map_or(rate, |b: f64| b.min(rate)));
        }
        rate = match (good, bad) {
            (_, None) => rate * 2.0,
            _ if bisections >= a.bisect => break,
            (Some((g, _)), Some(b)) if (b - g) > 0.1 * g => (g + b) / 2.0,
            (Some(_), Some(_)) => break,
            (None, Some(b)) => b / 2.0,
        };
        if bad.is_some() {
            bisections += 1;
        }
    }
    Ok((steps, good.map(|g| g.1), false))
}

/// The `(sum, count)` of histogram `name` in Prometheus text (a name prefix is allowed).
fn histogram(text: &str, name: &str) -> (f64, f64) {
    let field = |suffix: &str| {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(' '))
            .find(|(k, _)| k.ends_with(&format!("{name}_{suffix}")))
            .and_then(|(_, v)| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (field("sum"), field("count"))
}

/// Where a node's time went, from its admin `/metrics` (over its whole life): transactions
/// admitted from clients and the time their validation took (host ledger checks and the
/// enclave's `TxsAreWellFormed`, queueing included), the enclave's admission checks (from
/// clients, relays and fetches), the calls that made them (their ratio: the mean batch) and
/// the relayed copies skipped as already pooled, and slots externalized with their
/// nomination-to-externalize time.
fn node_timing(name: &str, admin: &str) -> Value {
    let text = get(admin, "/metrics").unwrap_or_default();
    let (vs, vc) = histogram(&text, "validation_seconds");
    let (es, ec) = histogram(&text, "externalize_seconds");
    let mean = |s: f64, c: f64| if c > 0.0 { Some(s / c * 1000.0) } else { None };
    let counter = |n: &str| {
        text.lines().find_map(|l| l.strip_prefix(n)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
    };
    let checks = counter("mcnode_tx_checks_total");
    let calls = counter("mcnode_tx_check_calls_total");
    json!({"node": name, "client_txs_validated": vc, "validation_ms_mean": mean(vs, vc),
        "enclave_tx_checks": checks, "enclave_check_calls": calls,
        "mean_check_batch": checks.zip(calls).filter(|(_, c)| *c > 0.0).map(|(a, c)| a / c),
        "tx_copies_skipped": counter("mcnode_tx_copies_skipped_total"),
        "slots_externalized": ec, "nominate_to_externalize_ms_mean": mean(es, ec)})
}

fn load_average() -> Option<String> {
    let t = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn measure(exe: &Path, dir: &Path, a: &NetworkArgs) -> Result<Value, String> {
    let v = manifest(exe, dir, a)?;
    let load_file = v["load"]["file"]
        .as_str()
        .map(PathBuf::from)
        .ok_or("the devnet has no load account: make it with `devnet init --load-outputs N`")?;
    let interval = v["block_interval_ms"].as_u64().unwrap_or(a.block_interval_ms);
    let node_count = v["nodes"].as_array().map_or(0, |n| n.len()) as u32;
    let mut nodes = match NodeProc::attach(&v) {
        Some(n) => {
            note(a, "attached to the running nodes");
            n
        }
        None => NodeProc::start_all(exe, &v)?,
    };
    let result = (|| -> Result<Value, String> {
        wait_connected(&mut nodes, Duration::from_secs(120))?;
        let net = Network::load(&nodes[0].config)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        // The spent scan gets a session of its own: the runtime is idle while the pool is
        // built (a minute for large pools), longer than the server's keepalive allows, so a
        // session opened now would be closed by the node before the load starts.
        let spent = rt.block_on(async {
            let mut scan = network_load::connect(&net, &nodes[0].client, 1).await?;
            network_load::spent_key_images(&mut scan).await
        })?;
        note(a, &format!("building up to {} load transactions", a.pool));
        let t0 = Instant::now();
        let pool = network_load::build_pool(&net, &load_file, a.pool as usize, &spent, a.json)?;
        let pool_seconds = t0.elapsed().as_secs_f64();
        note(a, "measuring the verification floor (batched, one core)");
        let floor = network_floor::measure(node_count, a.floor_batch, 2.0)?;
        let seen = std::cell::RefCell::new(Seen::default());
        let mut watcher = rt.block_on(network_load::connect(&net, &nodes[0].client, 2))?;
        rt.block_on(network_load::poll_blocks(&mut watcher, &seen))?;
        let urls = nodes.iter().map(|n| n.client.clone()).collect();
        let target = Target { net: &net, urls, sessions: a.sessions.max(1) };
        let mut run = Run { a, nodes: &nodes, rt, target, watcher, seen, pool, cursor: 0 };
        let (mut steps, best, exhausted) = search(&mut run)?;
        let sustained = best.map_or(0.0, |b| steps[b].externalized);
        let best_cpu = best.map_or(json!([]), |b| steps[b].report["cpu_percent"].clone());
        let mut half = Value::Null;
        let mut lat: Vec<f64> = Vec::new();
        if a.rate.is_none() && sustained > 0.0 {
            note(a, "latency at half the sustained rate");
            match run.step(sustained / 2.0)? {
                Some(s) => {
                    lat = s.latencies.clone();
                    half = s.report.clone();
                    steps.push(s);
                }
                None => half = json!({"skipped": "pool exhausted: raise --pool"}),
            }
        } else if let Some(b) = best {
            lat = steps[b].latencies.clone();
        }
        let (agree, height) = agreement(&nodes);
        let all_agree = agree && steps.iter().all(|s| s.report["agreement"] == true);
        let mut refusals: BTreeMap<String, u64> = BTreeMap::new();
        for s in &steps {
            for (k, n) in s.report["refusals"].as_object().into_iter().flatten() {
                *refusals.entry(k.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
        let memory: Vec<Value> = nodes
            .iter()
            .map(|n| {
                let (own, enclave) = super::devnet_procs::peak_memory_kib(n.pid);
                json!({"node": n.name, "vm_hwm_kib": own, "enclave_vm_hwm_kib": enclave})
            })
            .collect();
        let timing: Vec<Value> = nodes.iter().map(|n| node_timing(&n.name, &n.admin)).collect();
        let p99_target = 2.0 * interval as f64 + 1000.0;
        let ratio = sustained / floor.floor_tx_per_sec;
        Ok(json!({
            "nodes": node_count, "block_interval_ms": interval, "seconds_per_step": a.seconds,
            "load_average_at_start": load_average(),
            "sustained_tx_per_sec": sustained, "floor_tx_per_sec": floor.floor_tx_per_sec,
            "ratio_to_floor": ratio,
            "floor": {"single_core_batched_tx_per_sec": floor.single_core_tx_per_sec,
                "batch": floor.batch, "cores": floor.cores},
            "p50_ms": percentile(&lat, 50.0), "p99_ms": percentile(&lat, 99.0),
            "latency_rate_tx_per_sec": half["offered_tx_per_sec"].as_f64()
                .or(a.rate),
            "agreement": all_agree, "height": height, "refusals": refusals,
            "cpu_percent_at_sustained": best_cpu, "peak_memory": memory, "node_timing": timing,
            "pool": {"built": run.pool.len(), "used": run.cursor, "build_seconds": pool_seconds,
                "exhausted": exhausted},
            "targets": {"ratio_to_floor_min": 0.4, "ratio_met": ratio >= 0.4,
                "p99_max_ms": p99_target,
                "p99_met": percentile(&lat, 99.0).is_some_and(|p| p <= p99_target)},
            "steps": steps.iter().map(|s| s.report.clone()).collect::<Vec<_>>(),
        }))
    })();
    let clean = stop_all(&mut nodes);
    let mut r = result?;
    r["stopped_cleanly"] = json!(clean);
    Ok(r)
}

fn num(v: &Value, digits: usize) -> String {
    v.as_f64().map_or("-".into(), |x| format!("{x:.digits$}"))
}

fn print_table(r: &Value) {
    println!(
        "mcnode bench network: {} nodes on loopback, block interval {} ms, {} s per step \
         (load average {})",
        r["nodes"],
        r["block_interval_ms"],
        r["seconds_per_step"],
        r["load_average_at_start"].as_str().unwrap_or("-")
    );
    println!("  offered tx/s  externalized  p50 ms  p99 ms  refused  agree  sustained");
    for s in r["steps"].as_array().into_iter().flatten() {
        let refused: u64 =
            s["refusals"].as_object().into_iter().flatten().filter_map(|(_, n)| n.as_u64()).sum();
        println!(
            "  {:>12} {:>13} {:>7} {:>7} {:>8}  {:>5}  {}",
            num(&s["offered_tx_per_sec"], 1),
            num(&s["externalized_tx_per_sec"], 1),
            num(&s["p50_ms"], 0),
            num(&s["p99_ms"], 0),
            refused,
            s["agreement"],
            s["sustained"]
        );
    }
    println!(
        "  sustained {} tx/s; floor {} tx/s ({} cores x {} tx/s batched on one core / {} \
         nodes); ratio {}",
        num(&r["sustained_tx_per_sec"], 1),
        num(&r["floor_tx_per_sec"], 1),
        r["floor"]["cores"],
        num(&r["floor"]["single_core_batched_tx_per_sec"], 0),
        r["nodes"],
        num(&r["ratio_to_floor"], 3)
    );
    println!(
        "  latency at {} tx/s: p50 {} ms, p99 {} ms (target p99 <= {} ms)",
        num(&r["latency_rate_tx_per_sec"], 1),
        num(&r["p50_ms"], 0),
        num(&r["p99_ms"], 0),
        num(&r["targets"]["p99_max_ms"], 0)
    );
    for (c, m) in r["cpu_percent_at_sustained"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(r["peak_memory"].as_array().into_iter().flatten())
    {
        println!(
            "  {:<8} CPU {:>6}% of a core (node {}% + enclave {}%)  peak memory {} MiB + enclave {} MiB",
            c["node"].as_str().unwrap_or(""),
            num(&c["percent"], 1),
            num(&c["node_process"], 1),
            num(&c["enclave_process"], 1),
            m["vm_hwm_kib"].as_u64().unwrap_or(0) / 1024,
            m["enclave_vm_hwm_kib"].as_u64().unwrap_or(0) / 1024
        );
    }
    println!("  refusals {}", r["refusals"]);
    println!("  agreement {} at height {}", r["agreement"], r["height"]);
}

/// Runs `mcnode bench network`.
pub fn run(a: NetworkArgs) -> ExitCode {
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("mcnode bench network: {e}");
        ExitCode::from(1)
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return fail(&e),
    };
    let tmp = match &a.devnet {
        Some(_) => None,
        None => match tempfile::tempdir() {
            Ok(t) => Some(t),
            Err(e) => return fail(&e),
        },
    };
    let dir = match (&a.devnet, &tmp) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.path().join("devnet"),
        (None, None) => return ExitCode::from(1),
    };
    match measure(&exe, &dir, &a) {
        Ok(r) => {
            if a.json {
                println!("{r}");
            } else {
                print_table(&r);
            }
            if r["agreement"] == true { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => fail(&e),
    }
}
