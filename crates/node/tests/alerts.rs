//! `ops/alerts.yml` (the Prometheus rules the runbook ships) against the node's metrics: the
//! file parses as a rules file, every rule has `expr`, `labels` (with a severity) and
//! `annotations` (with a summary and a runbook link), every alert the runbook promises is there,
//! and every `mcnode_*` metric an expression names is in the node's `/metrics` output. When
//! `promtool` is installed, `promtool check rules` must also accept the file.

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use mcnode_node::admin::Metrics;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    groups: Vec<Group>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    alert: String,
    expr: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

fn alerts_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ops/alerts.yml")
}

fn load() -> RulesFile {
    let text = std::fs::read_to_string(alerts_path()).expect("ops/alerts.yml is readable");
    serde_yaml_ng::from_str(&text).expect("ops/alerts.yml is a Prometheus rules file")
}

/// Sample names in OpenMetrics text (`# HELP`/`# TYPE` names and every sample line's name).
fn exported_names() -> BTreeSet<String> {
    let text = Metrics::new().encode().expect("metrics encode");
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let name = match line.strip_prefix("# TYPE ") {
            Some(rest) => rest.split(' ').next(),
            None if line.starts_with('#') => None,
            None => line.split(['{', ' ']).next(),
        };
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            names.insert(n.to_owned());
        }
    }
    names
}

/// Every `mcnode_...` identifier in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("mcnode_") {
        let start = i + at;
        let boundary =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if boundary {
            out.push(expr[start..end].to_owned());
        }
        i = end;
    }
    out
}

#[test]
fn every_rule_is_complete() {
    let f = load();
    assert!(!f.groups.is_empty());
    for g in &f.groups {
        assert!(!g.name.is_empty());
        assert!(!g.rules.is_empty(), "group {} has no rules", g.name);
        for r in &g.rules {
            assert!(!r.expr.trim().is_empty(), "{}: empty expr", r.alert);
            let sev = r.labels.get("severity").map(String::as_str);
            assert!(matches!(sev, Some("critical" | "warning")), "{}: severity {sev:?}", r.alert);
            for key in ["summary", "runbook"] {
                assert!(r.annotations.contains_key(key), "{}: no {key} annotation", r.alert);
            }
            if let Some(d) = &r.for_ {
                let ok = d.len() > 1
                    && d[..d.len() - 1].chars().all(|c| c.is_ascii_digit())
                    && d.ends_with(['s', 'm', 'h']);
                assert!(ok, "{}: bad duration {d:?}", r.alert);
            }
        }
    }
}

#[test]
fn the_alerts_the_runbook_promises_are_there() {
    let f = load();
    let names: BTreeSet<&str> =
        f.groups.iter().flat_map(|g| g.rules.iter().map(|r| r.alert.as_str())).collect();
    for want in [
        "McnodeNotExternalizing",
        "McnodeCatchingUpTooLong",
        "McnodePeersLost",
        "McnodeQuorumSliceUnsatisfied",
        "McnodePoolFull",
        "McnodeEnclaveRestarts",
    ] {
        assert!(names.contains(want), "ops/alerts.yml lacks {want}");
    }
}

#[test]
fn every_metric_an_expression_names_is_exported() {
    let exported = exported_names();
    let f = load();
    for r in f.groups.iter().flat_map(|g| &g.rules) {
        let used = metric_names(&r.expr);
        assert!(!used.is_empty(), "{}: names no mcnode metric", r.alert);
        for m in used {
            assert!(exported.contains(&m), "{}: {m} is not in /metrics ({exported:?})", r.alert);
        }
    }
}

#[test]
fn the_metric_check_catches_a_misspelt_metric() {
    // The check above must be able to fail: a name one letter off is not exported.
    let exported = exported_names();
    assert!(exported.contains("mcnode_ledger_height"));
    assert_eq!(metric_names("delta(mcnode_ledger_heigth[2m]) > 0"), vec!["mcnode_ledger_heigth"]);
    assert!(!exported.contains("mcnode_ledger_heigth"));
    assert!(exported.contains("mcnode_enclave_restarts_total"), "counters carry _total");
}

#[test]
fn promtool_accepts_the_rules_when_installed() {
    let out = match std::process::Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(alerts_path())
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            eprintln!("promtool not installed: ops/alerts.yml checked by the schema tests only");
            return;
        }
    };
    assert!(
        out.status.success(),
        "promtool check rules failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
