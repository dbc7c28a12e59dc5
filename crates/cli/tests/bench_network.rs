//! `mcnode bench network` end to end with tiny settings (debug build): the JSON document has
//! the fields the issue names, and they are consistent with each other. The figures themselves
//! are a benchmark's business (BENCHMARKS.md), not a test's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use serde_json::Value;

#[test]
fn bench_network_reports_a_sustained_rate_in_agreement_and_its_ratio_to_the_floor() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net");
    let o = Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(["bench", "network", "--nodes", "3", "--seconds", "6", "--pool", "60"])
        .args(["--start-rate", "1", "--bisect", "0", "--floor-batch", "4"])
        .args(["--block-interval-ms", "500", "--max-p99-ms", "30000", "--sessions", "2"])
        .args(["--json", "--devnet"])
        .arg(&net)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {stderr}");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in ["sustained_tx_per_sec", "floor_tx_per_sec", "ratio_to_floor", "p50_ms", "p99_ms"] {
        assert!(r[k].as_f64().is_some(), "{k} missing in {r}");
    }
    assert_eq!(r["agreement"], true, "{r}");
    let sustained = r["sustained_tx_per_sec"].as_f64().unwrap();
    let floor = r["floor_tx_per_sec"].as_f64().unwrap();
    assert!(sustained > 0.0 && floor > 0.0, "{r}");
    let ratio = r["ratio_to_floor"].as_f64().unwrap();
    assert!((ratio - sustained / floor).abs() < 1e-9, "{r}");
    assert!(r["p50_ms"].as_f64().unwrap() <= r["p99_ms"].as_f64().unwrap(), "{r}");
    // The sustained figure is a sustained step's externalized rate, with nothing lost.
    let steps = r["steps"].as_array().unwrap();
    let best = steps
        .iter()
        .find(|s| {
            s["sustained"] == true && s["externalized_tx_per_sec"].as_f64() == Some(sustained)
        })
        .unwrap_or_else(|| panic!("no sustained step at {sustained}: {r}"));
    assert_eq!(best["included"], best["accepted"], "{r}");
    assert_eq!(best["agreement"], true, "{r}");
    // One CPU and one memory figure per node, the memory non-zero (the nodes were running).
    assert_eq!(r["cpu_percent_at_sustained"].as_array().unwrap().len(), 3, "{r}");
    let mem = r["peak_memory"].as_array().unwrap();
    assert_eq!(mem.len(), 3);
    assert!(mem.iter().all(|m| m["vm_hwm_kib"].as_u64().unwrap() > 0), "{r}");
    assert_eq!(r["stopped_cleanly"], true, "{r}");
    // The devnet was made with a load account and kept.
    assert!(net.join("wallets/load.json").exists());
}
