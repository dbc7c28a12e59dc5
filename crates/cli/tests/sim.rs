//! `mcnode sim` end to end: outputs, JSON shape, determinism and every exit status.
#![allow(clippy::unwrap_used)] // test helpers: a failure here is a test failure

use std::path::PathBuf;
use std::process::{Command, Output};

fn mcnode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcnode")).args(args).output().unwrap()
}

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sim")
}

fn scenario(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcnode-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.trim().lines().count(), 1, "exactly one JSON object: {text}");
    serde_json::from_str(text.trim()).unwrap()
}

#[test]
fn quickstart_explains_what_happened_and_succeeds() {
    let path = examples().join("quickstart.json");
    let out = mcnode(&["sim", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for phrase in [
        "What happened",
        "crashed",
        "restarted",
        "caught up",
        "SAFETY    held",
        "LIVENESS  reached",
    ] {
        assert!(text.contains(phrase), "missing {phrase:?} in:\n{text}");
    }
}

#[test]
fn json_has_exactly_the_documented_fields_and_is_reproducible() {
    let run =
        || mcnode(&["sim", "--topology", "mesh:3:2", "--values", "300", "--seed", "5", "--json"]);
    let (a, b) = (run(), run());
    assert_eq!(a.status.code(), Some(0));
    let (ja, jb) = (json(&a), json(&b));
    let keys: Vec<&String> = ja.as_object().unwrap().keys().collect();
    let mut want = vec![
        "agreement",
        "liveness",
        "values_submitted",
        "values_externalized",
        "slots",
        "messages",
        "virtual_ms",
        "wall_ms",
        "seed",
        "digest",
        "ledger_digest",
        "violations",
    ];
    want.sort();
    let mut got: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(ja["digest"], jb["digest"]);
    assert_eq!(ja["values_externalized"], 300);
    assert_eq!(ja["seed"], 5);
    assert_eq!(ja["ledger_digest"].as_object().unwrap().len(), 3);
    let other = json(&mcnode(&[
        "sim",
        "--topology",
        "mesh:3:2",
        "--values",
        "300",
        "--seed",
        "6",
        "--json",
    ]));
    assert_ne!(other["digest"], ja["digest"]);
}

#[test]
fn bad_input_exits_2_and_names_the_problem() {
    let p = scenario(
        "unknown.json",
        r#"{"topology": "mesh:3:2", "faults": [{"at_ms": 5, "crash": "ghost"}]}"#,
    );
    let out = mcnode(&["sim", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ghost"));
    let p = scenario("broken.json", r#"{"topology": "mesh:3:2", "values": "many"}"#);
    let out = mcnode(&["sim", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("malformed"));
    let out = mcnode(&["sim", "--topology", "/nonexistent/net.json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = mcnode(&["sim", "--topology", "mesh:3:9"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missed_liveness_exits_3() {
    let p = scenario(
        "stuck.json",
        r#"{"topology": "cycle:3", "values": 50, "faults": [{"at_ms": 0, "crash": "node1"}],
            "stop": {"virtual_ms": 5000}}"#,
    );
    let out = mcnode(&["sim", p.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let j = json(&out);
    assert_eq!(j["liveness"], false);
    assert_eq!(j["agreement"], true);
}

#[test]
fn broken_safety_exits_1_with_the_seed() {
    let p = scenario(
        "split.json",
        r#"{"topology": [
              {"publicKey": "a1", "quorumSet": {"threshold": 1, "validators": ["a2"]}},
              {"publicKey": "a2", "quorumSet": {"threshold": 1, "validators": ["a1"]}},
              {"publicKey": "b1", "quorumSet": {"threshold": 1, "validators": ["b2"]}},
              {"publicKey": "b2", "quorumSet": {"threshold": 1, "validators": ["b1"]}}],
            "seed": 13, "values": 40, "submit": "one", "submit_rate": 100,
            "network": {"latency_ms": [5, 40]},
            "faults": [{"at_ms": 0, "partition": [["a1", "a2"], ["b1", "b2"]]}]}"#,
    );
    let out = mcnode(&["sim", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SAFETY    BROKEN") && text.contains("--seed 13"), "{text}");
}
