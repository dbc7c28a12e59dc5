//! `mcnode ledger ...` end to end: exit codes and messages an operator relies on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::path::Path;
use std::process::{Command, Output};

use mcnode_ledger::LmdbLedger;
use mcnode_ledger::testkit::{append_synthetic, synthetic_output};

fn mcnode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcnode")).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn origin_example() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/origin.json").to_string()
}

#[test]
fn init_info_verify_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let p = path.to_str().unwrap();
    let o = mcnode(&["ledger", "init", p, "--origin", &origin_example()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let info = mcnode(&["ledger", "info", p, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["height"], 1);
    assert_eq!(v["outputs"], 4);
    let o = mcnode(&["ledger", "verify", p]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = mcnode(&["ledger", "blocks", p, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["index"], 0);
    assert_eq!(v[0]["outputs"], 4);
    // The same origin file gives the same origin block id on another node.
    let other = dir.path().join("other");
    mcnode(&["ledger", "init", other.to_str().unwrap(), "--origin", &origin_example()]);
    let b = mcnode(&["ledger", "blocks", other.to_str().unwrap(), "--json"]);
    let w: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!(v[0]["id"], w[0]["id"]);
    // The read commands run in a child process with the same arguments, however spelt.
    let dashed = dir.path().join("-dashed");
    mcnode(&["ledger", "init", "--origin", &origin_example(), "--", dashed.to_str().unwrap()]);
    let o = Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(["ledger", "blocks", "--json", "--count", "1", "--", "-dashed"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d[0]["id"], v[0]["id"]);
    // init refuses to overwrite.
    let o = mcnode(&["ledger", "init", p, "--origin", &origin_example()]);
    assert_eq!(o.status.code(), Some(2));
    // init is atomic: it builds beside PATH and renames; a leftover from a crash is named.
    assert!(!dir.path().join(".l.init-tmp").exists());
    std::fs::create_dir(dir.path().join(".new.init-tmp")).unwrap();
    let new = dir.path().join("new");
    let o = mcnode(&["ledger", "init", new.to_str().unwrap(), "--origin", &origin_example()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("interrupted `ledger init`"), "{}", text(&o));
    assert!(!new.exists());
}

#[test]
fn bad_paths_and_busy_ledgers_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let o = mcnode(&["ledger", "info", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("does not exist"), "{}", text(&o));
    let o = mcnode(&["ledger", "verify", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not an mcnode ledger"), "{}", text(&o));
    let path = dir.path().join("busy");
    let _held = LmdbLedger::create(&path).unwrap();
    let o = mcnode(&["ledger", "info", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("in use by another process"), "{}", text(&o));
}

fn corrupt_output(path: &Path, seed: u64) {
    let data = path.join("data.mdb");
    let mut bytes = std::fs::read(&data).unwrap();
    let needle = synthetic_output(seed).target_key.0;
    let hits: Vec<_> =
        bytes.windows(32).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect();
    assert!(!hits.is_empty());
    for at in hits {
        bytes[at + 7] ^= 1;
    }
    std::fs::write(&data, bytes).unwrap();
}

#[test]
fn verify_names_the_first_corrupt_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    {
        let mut l = LmdbLedger::create(&path).unwrap();
        for n in 0..4 {
            append_synthetic(&mut l, n, 5, 1).unwrap();
        }
    }
    corrupt_output(&path, 11); // block 2 holds output seeds 10..15
    let o = mcnode(&["ledger", "verify", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("first bad block 2"), "{}", text(&o));
}

#[test]
fn bench_ledger_json_has_the_issue_fields() {
    let o = mcnode(&[
        "bench",
        "ledger",
        "--json",
        "--outputs",
        "2000",
        "--block-outputs",
        "200",
        "--block-key-images",
        "100",
        "--compare-blocks",
        "3",
        "--seconds",
        "0.05",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for k in [
        "append_ms_per_block",
        "key_image_lookups_per_sec",
        "membership_proofs_per_sec",
        "open_ms_1m_outputs",
    ] {
        assert!(v[k].as_f64().unwrap() > 0.0, "{k}: {v}");
    }
    assert_eq!(v["outputs"], 2000);
    assert_eq!(v["verify_sound"], true);
    assert_eq!(v["proofs_sampled"], v["proofs_verified"]);
}
