//! `mcnode quorum`: verdicts, exit codes (0 intersect, 1 not, 2 bad input), JSON fields.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure is the report

use std::process::Command;

use serde_json::Value;

fn data(name: &str) -> String {
    format!("{}/../fbas/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn mcnode(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mcnode")).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> (i32, Value) {
    let (code, out, err) = mcnode(args);
    assert!(err.is_empty(), "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

#[test]
fn check_reports_a_split_with_proof_and_exits_1() {
    let (code, out, _) = mcnode(&["quorum", "check", &data("broken.json")]);
    assert_eq!(code, 1);
    assert!(out.starts_with("VERDICT: QUORUMS DO NOT INTERSECT"), "{out}");
    assert!(out.contains("two quorums with no node in common"));
    let (code, v) = json(&["quorum", "check", &data("sqa_conflicted.json"), "--json"]);
    assert_eq!(code, 1);
    assert_eq!(v["intersection"], false);
    let split = v["split"].as_array().unwrap();
    assert_eq!(split.len(), 2);
    let a: Vec<&Value> = split[0].as_array().unwrap().iter().collect();
    assert!(
        split[1].as_array().unwrap().iter().all(|x| !a.contains(&x)),
        "the two quorums are disjoint"
    );
}

#[test]
fn check_passes_a_healthy_network_and_exits_0() {
    let (code, out, _) = mcnode(&["quorum", "check", &data("pubnet_obsrvr_2025-07-20.json")]);
    assert_eq!(code, 0);
    assert!(out.starts_with("VERDICT: OK"), "{out}");
    assert!(out.contains("nodes are in no quorum"));
    let (code, v) = json(&["quorum", "check", &data("correct.json"), "--json"]);
    assert_eq!(code, 0);
    assert_eq!(v["intersection"], true);
    assert_eq!(v["split"], Value::Null);
    assert!(v.get("top_tier").is_none(), "fields not asked for are absent");
}

#[test]
fn analyze_by_organisation_json() {
    let (code, v) = json(&[
        "quorum",
        "analyze",
        &data("stellarbeat_nodes_2019-09-17.json"),
        "--orgs",
        &data("stellarbeat_organizations_2019-09-17.json"),
        "--json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["top_tier"].as_array().unwrap().len(), 5);
    assert_eq!(v["minimal_blocking_set_sizes"], serde_json::json!([2, 2]));
    assert_eq!(v["smallest_blocking_sets"].as_array().unwrap().len(), 10, "C(5,2) pairs of orgs");
    assert!(v["minimal_splitting_set_sizes"].is_array());
    assert!(v["smallest_splitting_sets"].is_array());
}

#[test]
fn analyze_only_what_was_asked() {
    let (code, v) = json(&[
        "quorum",
        "analyze",
        &data("pubnet_obsrvr_2025-07-20.json"),
        "--blocking",
        "--json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["minimal_blocking_set_sizes"], serde_json::json!([6, 6]));
    assert!(v.get("top_tier").is_none() && v.get("minimal_splitting_set_sizes").is_none());
    let (_, v) = json(&[
        "quorum",
        "analyze",
        &data("pubnet_obsrvr_2025-07-20.json"),
        "--splitting",
        "--splitting-top-tier-only",
        "--json",
    ]);
    assert_eq!(v["minimal_splitting_set_sizes"], serde_json::json!([3, 3]));
    let (_, out, _) =
        mcnode(&["quorum", "analyze", &data("mobilecoin_nodes_2021-10-22.json"), "--top-tier"]);
    assert!(out.starts_with("VERDICT: OK"));
    assert!(out.contains("Top tier: 10 node(s)"), "{out}");
}

#[test]
fn bad_input_names_the_node_and_exits_2() {
    let dir = std::env::temp_dir().join(format!("mcnode-quorum-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("not json", "not a JSON array"),
        (
            r#"[{"publicKey": "A", "quorumSet": {"threshold": 0, "validators": ["A"]}}]"#,
            "node A: quorumSet has threshold 0",
        ),
        (
            r#"[{"publicKey": "B", "quorumSet": {"threshold": 3, "validators": ["B", "C"]}}]"#,
            "node B: quorumSet has threshold 3 but only 2 members",
        ),
        (r#"[{"publicKey": "D", "publicKey": "E"}]"#, "duplicate field `publicKey`"),
        (r#"[{"publicKey": "F"}, {"publicKey": "F"}]"#, "node F is defined twice"),
        (
            r#"[{"publicKey": "G", "quorumSet": {"threshold": 1, "validators": ["G"], "innerQuorumSets": [
               {"threshold": 1, "validators": ["a"], "innerQuorumSets": [{"threshold": 1, "validators": ["b"], "innerQuorumSets": [
               {"threshold": 1, "validators": ["c"], "innerQuorumSets": [{"threshold": 1, "validators": ["d"], "innerQuorumSets": [
               {"threshold": 1, "validators": ["e"]}]}]}]}]}]}}]"#,
            "node G: quorumSet.innerQuorumSets[0].innerQuorumSets[0].innerQuorumSets[0].innerQuorumSets[0].innerQuorumSets[0] is nested 5 levels deep",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.json"));
        std::fs::write(&path, text).unwrap();
        for cmd in ["check", "analyze"] {
            let (code, out, err) = mcnode(&["quorum", cmd, path.to_str().unwrap()]);
            assert_eq!(code, 2, "{text}");
            assert!(out.is_empty());
            assert!(
                err.starts_with("error: ") && err.contains(want),
                "{err} should contain {want}"
            );
        }
    }
    let (code, _, err) = mcnode(&["quorum", "check", dir.join("missing.json").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}
