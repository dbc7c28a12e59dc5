//! `mcnode bench devnet [--nodes 4] [--seconds 20] [--block-interval-ms 1000] [--json]`:
//! latency figures of real `mcnode run` processes on loopback (issue 11).
//!
//! 1. `mcnode devnet init` in a temporary directory (or `--dir`), one funded wallet per
//!    payment; every node runs as a child process (`mcnode run`, JSON logs in
//!    `node-I/node.log`), as `mcnode devnet up` runs them.
//! 2. Once every node has an attested session with every other: **idle CPU** of each node (its
//!    process and its enclave process, from `/proc/PID/stat`) over `--idle-seconds` with
//!    nothing to do.
//! 3. `--seconds` payments, one per second (low load), each proposed through the client API of
//!    the next node in turn; **submit-to-block latency** runs from just before `ProposeTx` to
//!    the moment that node's `/info` (polled every 10 ms) counts the payment's key image as
//!    appended.
//! 4. From the nodes' `formed block` log lines of those slots: **nomination start to
//!    externalize** per node and slot (engine time), and **SCP messages received per slot**.
//! 5. SIGTERM to every node; agreement = identical last block ids at one height.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use mcnode_api::pb::common::v1::ProposeTxResult;
use serde_json::{Value, json};

use super::devnet_client::Network;
use super::devnet_procs::{NodeProc, clock_ticks_per_sec, cpu_ticks, info, stop_all};

/// Arguments of `bench devnet`.
#[derive(clap::Args, Debug)]
pub struct DevnetArgs {
    /// Nodes (each needs two thirds of the others, `devnet init`'s default).
    #[arg(long, default_value_t = 4)]
    nodes: u32,
    /// Seconds of load: one payment per second.
    #[arg(long, default_value_t = 20)]
    seconds: u32,
    /// Least time between blocks, milliseconds.
    #[arg(long, default_value_t = 1000)]
    block_interval_ms: u64,
    /// Seconds of idle CPU measurement.
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
    /// Make the devnet here (must be missing or empty) and keep it; default a temporary
    /// directory, removed at the end.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Unix seconds now (0 before 1970).
pub fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Nearest-rank percentile of sorted `v` (`None` if empty).
pub(super) fn percentile(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v.get(rank.clamp(1, v.len()) - 1).copied()
}

fn summary(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    let mean = if v.is_empty() { None } else { Some(v.iter().sum::<f64>() / v.len() as f64) };
    json!({"samples": v.len(), "p50": percentile(&v, 50.0), "p99": percentile(&v, 99.0),
        "max": v.last(), "mean": mean})
}

fn init(exe: &Path, dir: &Path, a: &DevnetArgs) -> Result<Value, String> {
    let out = Command::new(exe)
        .args(["devnet", "init"])
        .arg(dir)
        .args(["--nodes", &a.nodes.to_string()])
        .args(["--block-interval-ms", &a.block_interval_ms.to_string()])
        // One wallet per payment plus the payee; at least 6 for a ring of 11 decoys.
        .args(["--wallets", &(a.seconds + 1).max(6).to_string(), "--json"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("devnet init: {}", String::from_utf8_lossy(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("devnet init --json: {e}"))
}

/// Polls until every node has an attested session with every other one.
pub(super) fn wait_connected(nodes: &mut [NodeProc], limit: Duration) -> Result<(), String> {
    let t0 = Instant::now();
    let want = nodes.len().saturating_sub(1);
    loop {
        let ok = nodes.iter().all(|n| {
            info(&n.admin).is_some_and(|i| {
                i["peers"]
                    .as_array()
                    .is_some_and(|p| p.iter().filter(|x| x["state"] == "connected").count() >= want)
            })
        });
        if ok {
            return Ok(());
        }
        for n in nodes.iter_mut() {
            if n.exited() {
                return Err(format!("{} exited; see {}", n.name, n.log.display()));
            }
        }
        if t0.elapsed() > limit {
            return Err(format!("peers not all connected after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Percent of one core each node used over `secs` seconds of nothing to do.
fn idle_cpu(nodes: &[NodeProc], secs: u64) -> Vec<f64> {
    let hz = clock_ticks_per_sec();
    let before: Vec<u64> = nodes.iter().map(|n| cpu_ticks(n.pid)).collect();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let dt = t0.elapsed().as_secs_f64();
    nodes
        .iter()
        .zip(before)
        .map(|(n, b)| cpu_ticks(n.pid).saturating_sub(b) as f64 / hz / dt * 100.0)
        .collect()
}

struct Load {
    latencies_ms: Vec<f64>,
    refused: Vec<String>,
    first_slot: u64,
}

/// One payment per second, closed loop: each waits for its block (at most 30 s).
fn load(nodes: &[NodeProc], v: &Value, a: &DevnetArgs) -> Result<Load, String> {
    let net = Network::load(&nodes[0].config)?;
    let wallet = |i: usize| -> Result<PathBuf, String> {
        v["wallets"][i]["file"].as_str().map(PathBuf::from).ok_or("devnet.json: wallet".into())
    };
    let payee = wallet(a.seconds as usize)?;
    let mut txs = Vec::new();
    for i in 0..a.seconds as usize {
        txs.push(net.payment(&wallet(i)?, &payee, i as u64 + 1)?);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let first_slot = info(&nodes[0].admin).and_then(|i| i["height"].as_u64()).unwrap_or(0);
    let mut out = Load { latencies_ms: Vec::new(), refused: Vec::new(), first_slot };
    let start = Instant::now();
    for (i, tx) in txs.iter().enumerate() {
        let tick = start + Duration::from_secs(i as u64);
        std::thread::sleep(tick.saturating_duration_since(Instant::now()));
        let n = &nodes[i % nodes.len()];
        let base = info(&n.admin).and_then(|i| i["key_images_appended"].as_u64()).unwrap_or(0);
        let (result, sent) = rt.block_on(net.submit(&n.client, tx, i as u8))?;
        if result != ProposeTxResult::Ok {
            out.refused.push(format!("{result:?}"));
            continue;
        }
        loop {
            let now = info(&n.admin).and_then(|i| i["key_images_appended"].as_u64());
            if now.is_some_and(|k| k > base) {
                out.latencies_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if sent.elapsed() > Duration::from_secs(30) {
                out.refused.push("not in a block within 30 s".into());
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    Ok(out)
}

/// `(nominate_to_externalize samples in ms, SCP messages received per slot per node)` from
/// the `formed block` lines of slots above `first_slot`.
fn from_logs(nodes: &[NodeProc], first_slot: u64) -> (Vec<f64>, Vec<f64>) {
    let mut ext = Vec::new();
    let mut per_slot = Vec::new();
    for n in nodes {
        let text = std::fs::read_to_string(&n.log).unwrap_or_default();
        let mut prev_timed = None;
        let mut seen: Vec<(u64, u64)> = Vec::new();
        for line in text.lines() {
            let Ok(l) = serde_json::from_str::<Value>(line) else { continue };
            let f = &l["fields"];
            if f["message"] != "formed block" {
                continue;
            }
            let (Some(slot), Some(ms), Some(timed), Some(msgs)) = (
                f["slot"].as_u64(),
                f["nominate_to_externalize_ms"].as_u64(),
                f["slots_timed"].as_u64(),
                f["messages_received"].as_u64(),
            ) else {
                continue;
            };
            if slot > first_slot && prev_timed.is_some_and(|p| timed > p) {
                ext.push(ms as f64);
            }
            prev_timed = Some(timed);
            if slot > first_slot {
                seen.push((slot, msgs));
            }
        }
        if let (Some(a), Some(b)) = (seen.first(), seen.last())
            && b.0 > a.0
        {
            per_slot.push((b.1 - a.1) as f64 / (b.0 - a.0) as f64);
        }
    }
    (ext, per_slot)
}

/// Waits (at most 30 s) until every node is at one height, and says whether their last
/// block ids are identical.
pub(super) fn agreement(nodes: &[NodeProc]) -> (bool, u64) {
    let t0 = Instant::now();
    loop {
        let infos: Vec<Option<Value>> = nodes.iter().map(|n| info(&n.admin)).collect();
        let hs: Vec<Option<u64>> =
            infos.iter().map(|i| i.as_ref().and_then(|i| i["height"].as_u64())).collect();
        let ids: Vec<Option<&str>> =
            infos.iter().map(|i| i.as_ref().and_then(|i| i["last_block"]["id"].as_str())).collect();
        let same = hs.windows(2).all(|w| w[0] == w[1]) && hs[0].is_some();
        if same || t0.elapsed() > Duration::from_secs(30) {
            let agree = same && ids.windows(2).all(|w| w[0] == w[1] && w[0].is_some());
            return (agree, hs[0].unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn measure(exe: &Path, dir: &Path, a: &DevnetArgs) -> Result<Value, String> {
    let v = init(exe, dir, a)?;
    let mut nodes = NodeProc::start_all(exe, &v)?;
    let result = (|| -> Result<Value, String> {
        wait_connected(&mut nodes, Duration::from_secs(120))?;
        std::thread::sleep(Duration::from_secs(2));
        let idle = idle_cpu(&nodes, a.idle_seconds);
        let l = load(&nodes, &v, a)?;
        let (agree, height) = agreement(&nodes);
        let (ext, msgs) = from_logs(&nodes, l.first_slot);
        let msgs_mean =
            if msgs.is_empty() { 0.0 } else { msgs.iter().sum::<f64>() / msgs.len() as f64 };
        Ok(json!({
            "nodes": a.nodes, "block_interval_ms": a.block_interval_ms, "payments": a.seconds,
            "submit_to_block_ms": summary(l.latencies_ms), "refused": l.refused,
            "nominate_to_externalize_ms": summary(ext),
            "scp_messages_received_per_slot_per_node": msgs_mean,
            "scp_messages_per_slot": msgs_mean * f64::from(a.nodes),
            "idle_seconds": a.idle_seconds,
            "idle_cpu_percent": nodes.iter().zip(&idle)
                .map(|(n, c)| json!({"node": n.name, "percent": c})).collect::<Vec<_>>(),
            "idle_cpu_percent_max": idle.iter().copied().fold(0.0, f64::max),
            "agreement": agree, "height": height,
        }))
    })();
    let clean = stop_all(&mut nodes);
    let mut r = result?;
    r["stopped_cleanly"] = json!(clean);
    Ok(r)
}

fn ms(v: &Value) -> String {
    v.as_f64().map_or("-".into(), |x| format!("{x:.0} ms"))
}

fn print_table(r: &Value) {
    println!(
        "mcnode bench devnet: {} nodes on loopback, block interval {} ms, {} payments at 1/s",
        r["nodes"], r["block_interval_ms"], r["payments"]
    );
    for (label, k) in [
        ("nomination start to externalize", "nominate_to_externalize_ms"),
        ("submit to block", "submit_to_block_ms"),
    ] {
        let s = &r[k];
        println!(
            "  {label:<32} p50 {:>7}  p99 {:>7}  mean {:>7}  ({} samples)",
            ms(&s["p50"]),
            ms(&s["p99"]),
            ms(&s["mean"]),
            s["samples"]
        );
    }
    println!(
        "  SCP messages per slot            {:.0} received per node, {:.0} in all",
        r["scp_messages_received_per_slot_per_node"].as_f64().unwrap_or(0.0),
        r["scp_messages_per_slot"].as_f64().unwrap_or(0.0)
    );
    let idle: Vec<String> = r["idle_cpu_percent"]
        .as_array()
        .map(|a| {
            a.iter().map(|x| format!("{:.2}%", x["percent"].as_f64().unwrap_or(0.0))).collect()
        })
        .unwrap_or_default();
    println!("  idle CPU per node over {} s      {}", r["idle_seconds"], idle.join(" "));
    println!("  refused                          {}", r["refused"]);
    println!("  agreement                        {} at height {}", r["agreement"], r["height"]);
}

/// Runs `mcnode bench devnet`.
pub fn run(a: DevnetArgs) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("mcnode bench devnet: {e}");
            return ExitCode::from(1);
        }
    };
    let tmp = match &a.dir {
        Some(_) => None,
        None => match tempfile::tempdir() {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("mcnode bench devnet: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let dir = match (&a.dir, &tmp) {
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
        Err(e) => {
            eprintln!("mcnode bench devnet: {e}");
            ExitCode::from(1)
        }
    }
}
