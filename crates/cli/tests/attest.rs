//! `mcnode attest ...` end to end: the printed evidence verifies, and every exit code of
//! `verify` (0 accepted, 1 refused, 2 unreadable) is reachable.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate

use std::process::{Command, Output};

fn mcnode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcnode")).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn evidence_verifies_only_with_the_simulation_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    let ev = mcnode(&["attest", "evidence", "--chain-id", "local", "--now", "1800000000"]);
    assert!(ev.status.success());
    assert!(String::from_utf8_lossy(&ev.stderr).contains("SIMULATED"));
    let json: serde_json::Value = serde_json::from_slice(&ev.stdout).unwrap();
    assert_eq!(json["simulated"], true);
    let file = dir.path().join("evidence.json");
    std::fs::write(&file, &ev.stdout).unwrap();
    let f = file.to_str().unwrap();

    let ok = mcnode(&[
        "attest",
        "verify",
        f,
        "--allow-simulated",
        "--now",
        "1800000100",
        "--chain-id",
        "local",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("verdict: ACCEPTED") && text(&ok).contains("WARNING"));

    let refused = mcnode(&["attest", "verify", f, "--now", "1800000100"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("allow_simulated"), "{}", text(&refused));

    // Every failed check is listed: expired, and another chain.
    let late = mcnode(&[
        "attest",
        "verify",
        f,
        "--allow-simulated",
        "--now",
        "1900000000",
        "--chain-id",
        "main",
    ]);
    assert_eq!(late.status.code(), Some(1));
    let t = text(&late);
    assert!(t.contains("expired") && t.contains("chain") && t.contains("2 failed checks"), "{t}");

    // An allow-list that does not contain this release's measurement.
    let tm = dir.path().join("trusted-measurements.toml");
    std::fs::write(
        &tm,
        format!("[current]\nrelease = \"x\"\nmeasurements = [\"{}\"]\n", "ab".repeat(32)),
    )
    .unwrap();
    let other = mcnode(&[
        "attest",
        "verify",
        f,
        "--allow-simulated",
        "--now",
        "1800000100",
        "--trusted-measurements",
        tm.to_str().unwrap(),
    ]);
    assert_eq!(other.status.code(), Some(1));
    assert!(text(&other).contains("allow-list"));

    // The same evidence as canonical hex is also accepted input.
    let hex_file = dir.path().join("evidence.hex");
    std::fs::write(&hex_file, json["evidence_hex"].as_str().unwrap()).unwrap();
    let ok = mcnode(&[
        "attest",
        "verify",
        hex_file.to_str().unwrap(),
        "--allow-simulated",
        "--now",
        "1800000100",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
}

#[test]
fn unreadable_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, b"\x01\x01not evidence").unwrap();
    assert_eq!(mcnode(&["attest", "verify", garbage.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(mcnode(&["attest", "verify", "/nonexistent/evidence.json"]).status.code(), Some(2));
    let ev = mcnode(&["attest", "evidence"]);
    let file = dir.path().join("e.json");
    std::fs::write(&file, &ev.stdout).unwrap();
    let bad_tm = dir.path().join("tm.toml");
    std::fs::write(&bad_tm, "[current]\nrelease = \"x\"\n").unwrap();
    let o = mcnode(&[
        "attest",
        "verify",
        file.to_str().unwrap(),
        "--trusted-measurements",
        bad_tm.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn measurement_toml_is_a_valid_allow_list_for_this_release() {
    let dir = tempfile::tempdir().unwrap();
    let m = mcnode(&["attest", "measurement", "--toml"]);
    assert!(m.status.success());
    let tm = dir.path().join("tm.toml");
    std::fs::write(&tm, &m.stdout).unwrap();
    let ev = mcnode(&["attest", "evidence"]);
    let file = dir.path().join("e.json");
    std::fs::write(&file, &ev.stdout).unwrap();
    let o = mcnode(&[
        "attest",
        "verify",
        file.to_str().unwrap(),
        "--allow-simulated",
        "--trusted-measurements",
        tm.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let summary = text(&mcnode(&["attest", "measurement"]));
    assert!(summary.contains("measurement"));
}

/// Fresh evidence JSON (as `attest evidence` prints it) for `chain`, issued at `now`.
fn evidence_json(chain: &str, now: &str) -> serde_json::Value {
    let o = mcnode(&["attest", "evidence", "--chain-id", chain, "--now", now]);
    assert!(o.status.success());
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Writes `v` to a file and runs `attest verify` on it with the simulation opt-in.
fn verify_json(v: &serde_json::Value, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.json");
    std::fs::write(&file, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    let mut args = vec!["attest", "verify", file.to_str().unwrap(), "--allow-simulated"];
    args.extend_from_slice(extra);
    mcnode(&args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The attack: the canonical bytes (what a peer or client receives) come from one enclave, the
/// decoded view from another, genuine one. Verifying the view would accept bytes nobody checked.
#[test]
fn a_view_that_disagrees_with_the_canonical_bytes_is_refused_naming_the_field() {
    let genuine = evidence_json("local", "1800000000");
    let other = evidence_json("other", "1800000000");
    let args = ["--now", "1800000100", "--chain-id", "local"];
    assert_eq!(verify_json(&genuine, &args).status.code(), Some(0));

    let mut mixed = genuine.clone();
    mixed["evidence_hex"] = other["evidence_hex"].clone();
    let o = verify_json(&mixed, &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o), stderr(&o));
    assert!(
        stderr(&o).contains("field `evidence.claims.block_signing_key` disagrees"),
        "{}",
        stderr(&o)
    );
    assert!(!text(&o).contains("ACCEPTED"));

    // The canonical bytes are what is verified: the other chain's evidence, consistent file.
    let o = verify_json(&other, &args);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("chain"), "{}", text(&o));
}

#[test]
fn flags_that_disagree_with_the_canonical_bytes_are_refused() {
    let genuine = evidence_json("local", "1800000000");
    let args = ["--now", "1800000100"];
    let mut unflagged = genuine.clone();
    unflagged["simulated"] = serde_json::Value::Bool(false);
    let o = verify_json(&unflagged, &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o), stderr(&o));
    assert!(stderr(&o).contains("`simulated`"), "{}", stderr(&o));

    let mut quiet = genuine.clone();
    quiet["warning"] = serde_json::Value::String("all good".into());
    let o = verify_json(&quiet, &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o), stderr(&o));
    assert!(stderr(&o).contains("`warning`"), "{}", stderr(&o));

    let mut missing = genuine.clone();
    missing.as_object_mut().unwrap().remove("warning");
    let o = verify_json(&missing, &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o), stderr(&o));
    assert!(stderr(&o).contains("missing field `warning`"), "{}", stderr(&o));
}

#[test]
fn unknown_fields_are_refused() {
    let genuine = evidence_json("local", "1800000000");
    let args = ["--now", "1800000100"];
    let mut top = genuine.clone();
    top["trusted"] = serde_json::Value::Bool(true);
    let o = verify_json(&top, &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o), stderr(&o));
    assert!(stderr(&o).contains("unknown field `trusted`"), "{}", stderr(&o));

    let mut nested = genuine.clone();
    nested["evidence"]["claims"]["note"] = serde_json::Value::String("x".into());
    let o = verify_json(&nested, &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o), stderr(&o));
    assert!(stderr(&o).contains("unknown field `evidence.claims.note`"), "{}", stderr(&o));

    // A bare evidence object (no canonical bytes beside it) is strict too.
    let mut bare = genuine["evidence"].clone();
    assert_eq!(verify_json(&bare, &args).status.code(), Some(0));
    bare["claims"]["note"] = serde_json::Value::String("x".into());
    let o = verify_json(&bare, &args);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o), stderr(&o));
    assert!(stderr(&o).contains("unknown field `note`"), "{}", stderr(&o));
}
