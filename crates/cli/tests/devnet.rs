//! `mcnode keys generate`, `mcnode config check` and `mcnode devnet init` end to end.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn mcnode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(args)
        .env_remove("MCNODE_CHAIN_ID")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn init_json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["devnet", "init", dir.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let o = mcnode(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn configs(v: &Value) -> Vec<String> {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["config"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn keys_generate_writes_a_private_key_prints_only_the_id_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let o = mcnode(&["keys", "generate", "--out", out.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = v["node_id"].as_str().unwrap();
    assert!(id.starts_with('G') && id.len() == 56, "{id}");
    let key = out.join("message-signing.key");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let pem = std::fs::read_to_string(&key).unwrap();
    // The secret is not printed: no base64 line of the key appears in the output.
    let secret_line = pem.lines().nth(1).unwrap();
    assert!(!text(&o).contains(secret_line));
    assert_eq!(std::fs::read_to_string(out.join("node-id")).unwrap().trim(), id);
    let o = mcnode(&["keys", "generate", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("refusing to overwrite"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), pem);
}

#[test]
fn devnet_init_makes_a_network_that_passes_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("net");
    let v = init_json(&d, &["--block-interval-ms", "1000"]);
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4);
    assert_eq!(v["topology"], "mesh:4:2");
    // Distinct ports, all on loopback.
    let mut urls: Vec<&str> = nodes
        .iter()
        .flat_map(|n| ["peer_url", "client_url", "admin_url"].map(|k| n[k].as_str().unwrap()))
        .collect();
    assert!(urls.iter().all(|u| u.starts_with("http://127.0.0.1:")));
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 12);
    // Wallet files: private, readable as account keys, funded in the origin.
    let wallets = v["wallets"].as_array().unwrap();
    assert_eq!(wallets.len(), 4);
    let origin = std::fs::read_to_string(v["origin"].as_str().unwrap()).unwrap();
    for w in wallets {
        let f = Path::new(w["file"].as_str().unwrap());
        assert!(f.starts_with(d.canonicalize().unwrap().join("wallets")));
        assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
        let (key, _) = mcnode_node::config::keyfile::read_account_key(f).unwrap();
        let addr = mcnode_tx::address::AddressString {
            network: mcnode_tx::address::Network::Devnet,
            address: key.default_address(),
        };
        assert_eq!(w["address"], addr.to_string());
        assert!(origin.contains(&addr.to_string()));
    }
    // Every node's ledger holds the same origin block.
    for n in nodes {
        let ledger = Path::new(n["dir"].as_str().unwrap()).join("ledger");
        let o = mcnode(&["ledger", "blocks", ledger.to_str().unwrap(), "--json"]);
        let b: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(b[0]["id"], v["origin_block_id"]);
        let c = std::fs::read_to_string(n["config"].as_str().unwrap()).unwrap();
        assert!(c.contains("block_interval_ms = 1000"));
    }
    // The configurations pass `mcnode config check`, together and one by one.
    let cs = configs(&v);
    let mut args = vec!["config", "check", "--json"];
    args.extend(cs.iter().map(String::as_str));
    let o = mcnode(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["network"]["intersection"], true);
    assert_eq!(r["network"]["known"], 4);
    let o = mcnode(&["config", "check", &cs[0]]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("intersection not checked"), "{}", text(&o));
    // The manifest is what --json printed.
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("devnet.json")).unwrap()).unwrap();
    assert_eq!(m, v);
}

#[test]
fn devnet_init_refuses_a_non_empty_dir_unless_forced_and_never_removes_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("net");
    let first = init_json(&d, &["--nodes", "2"]);
    let o = mcnode(&["devnet", "init", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not empty"), "{}", text(&o));
    let second = init_json(&d, &["--nodes", "3", "--force"]);
    assert_ne!(first["nodes"][0]["id"], second["nodes"][0]["id"]);
    assert!(!d.join("node-3").exists());
    std::fs::write(d.join("notes.txt"), "mine").unwrap();
    let o = mcnode(&["devnet", "init", d.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("notes.txt"), "{}", text(&o));
    assert!(d.join("node-0/node.toml").exists());
}

#[test]
fn devnet_init_with_organisations_and_topology_files() {
    let dir = tempfile::tempdir().unwrap();
    let v = init_json(&dir.path().join("orgs"), &["--topology", "orgs:3:2", "--wallets", "3"]);
    assert_eq!(v["nodes"].as_array().unwrap().len(), 6);
    let mut args = vec!["config", "check"];
    let cs = configs(&v);
    args.extend(cs.iter().map(String::as_str));
    let o = mcnode(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A stellarbeat file with plain names works too.
    let topo = dir.path().join("t.json");
    std::fs::write(
        &topo,
        r#"[{"publicKey":"a","quorumSet":{"threshold":2,"validators":["a","b","c"]}},
            {"publicKey":"b","quorumSet":{"threshold":2,"validators":["a","b","c"]}},
            {"publicKey":"c","quorumSet":{"threshold":2,"validators":["a","b","c"]}}]"#,
    )
    .unwrap();
    let v = init_json(&dir.path().join("file"), &["--topology", topo.to_str().unwrap()]);
    assert_eq!(v["nodes"].as_array().unwrap().len(), 3);
    // Disagreeing sizes and bad generators are bad input.
    let o = mcnode(&[
        "devnet",
        "init",
        dir.path().join("x").to_str().unwrap(),
        "--nodes",
        "5",
        "--topology",
        "mesh:4:2",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = mcnode(&[
        "devnet",
        "init",
        dir.path().join("y").to_str().unwrap(),
        "--topology",
        "mesh:4:9",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// A devnet whose node 0 has been edited.
fn edited(dir: &Path, edit: impl Fn(String) -> String) -> Vec<String> {
    let v = init_json(dir, &["--nodes", "4"]);
    let cs = configs(&v);
    let t = std::fs::read_to_string(&cs[0]).unwrap();
    std::fs::write(&cs[0], edit(t)).unwrap();
    cs
}

#[test]
fn config_check_reports_schema_errors_as_bad_input_with_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cs =
        edited(dir.path(), |t| t.replace("[consensus]\n", "[consensus]\nblock_intervall_ms = 3\n"));
    let o = mcnode(&["config", "check", &cs[0], "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let b = &r["files"][0]["bad_input"];
    assert_eq!(b["path"], "consensus.block_intervall_ms");
    let bad = b["message"].as_str().unwrap();
    let t = std::fs::read_to_string(&cs[0]).unwrap();
    let line = t.lines().position(|l| l.starts_with("block_intervall_ms")).unwrap() + 1;
    assert!(bad.starts_with("consensus.block_intervall_ms: unknown field"), "{bad}");
    assert!(bad.contains(&format!("line {line}")), "{bad}");
    assert_eq!(b["line"], line);
    // Not a file at all.
    let o = mcnode(&["config", "check", "/nonexistent/node.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn config_check_finds_semantic_problems_and_names_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let cs = edited(dir.path(), |t| t.replace("threshold = 2", "threshold = 7"));
    let o = mcnode(&["config", "check", &cs[0], "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &r["files"][0]["problems"][0];
    assert_eq!(p["path"], "quorum_set.threshold");
    assert!(p["message"].as_str().unwrap().contains("exceeds"), "{p}");
    assert!(p["line"].is_u64());
}

#[test]
fn config_check_refuses_a_key_others_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let cs = edited(dir.path(), |t| t);
    let key = Path::new(&cs[0]).parent().unwrap().join("keys/message-signing.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = mcnode(&["config", "check", &cs[0]]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("keys.message_signing_key"), "{}", text(&o));
}

#[test]
fn config_check_detects_a_network_split_across_configs() {
    // Node 0 and node 1 trust only each other, nodes 2 and 3 likewise: two disjoint quorums.
    let dir = tempfile::tempdir().unwrap();
    let v = init_json(dir.path(), &["--nodes", "4"]);
    let cs = configs(&v);
    let ids: Vec<String> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    for (i, c) in cs.iter().enumerate() {
        let partner = &ids[i ^ 1];
        let t = std::fs::read_to_string(c).unwrap();
        let start = t.find("[quorum_set]").unwrap();
        let end = t.find("[ledger]").unwrap();
        let q = format!(
            "[quorum_set]\nthreshold = 1\nvalidators = [\"{partner}\"]\n\n[consensus]\nunsafe_quorum = true\n\n"
        );
        let t = format!("{}{q}{}", &t[..start], &t[end..])
            .replace("[consensus]\nblock_interval_ms", "# block_interval_ms");
        std::fs::write(c, t).unwrap();
    }
    let mut args = vec!["config", "check", "--json"];
    args.extend(cs.iter().map(String::as_str));
    let o = mcnode(&args);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["network"]["intersection"], false, "{r}");
    assert!(r["network"]["split"].is_array());
    assert!(
        r["files"].as_array().unwrap().iter().all(|f| f["problems"].as_array().unwrap().is_empty()),
        "{r}"
    );
}

#[test]
fn config_check_compares_attested_parameters_and_applies_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let cs = edited(dir.path(), |t| t.replace("chain_id = \"devnet\"", "chain_id = \"other\""));
    let mut args = vec!["config", "check"];
    args.extend(cs.iter().map(String::as_str));
    let o = mcnode(&args);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("chain_id differs"), "{}", text(&o));
    // The environment overrides every file alike: the chain ids agree again.
    let o = Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(&args)
        .env("MCNODE_CHAIN_ID", "same")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A bad --set is bad input; a good one is applied.
    let o = mcnode(&["config", "check", &cs[1], "--set", "pool.pending_limit=0"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("pool.pending_limit: must be greater than 0 (from --set"),
        "{}",
        text(&o)
    );
    let o = mcnode(&["config", "check", &cs[1], "--set", "pool.pending_limit"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn every_new_subcommand_has_a_teaching_help() {
    for args in [
        &["keys", "generate", "--help"][..],
        &["config", "check", "--help"],
        &["devnet", "init", "--help"],
    ] {
        let o = mcnode(args);
        assert_eq!(o.status.code(), Some(0));
        let t = text(&o);
        assert!(t.contains("Example"), "{args:?}: {t}");
    }
}

#[test]
fn config_check_takes_other_quorum_sets_from_a_network_file() {
    let dir = tempfile::tempdir().unwrap();
    let v = init_json(&dir.path().join("net"), &["--nodes", "4"]);
    let cs = configs(&v);
    let ids: Vec<String> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    // The other three nodes as stellarbeat JSON: each trusts 2 of the others.
    let nodes: Vec<Value> = ids[1..]
        .iter()
        .map(|me| {
            let others: Vec<&String> = ids.iter().filter(|i| *i != me).collect();
            serde_json::json!({"publicKey": me, "quorumSet": {"threshold": 2, "validators": others}})
        })
        .collect();
    let net = dir.path().join("network.json");
    std::fs::write(&net, Value::Array(nodes).to_string()).unwrap();
    let o = mcnode(&["config", "check", &cs[0], "--network", net.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["network"]["known"], 4);
    assert_eq!(r["network"]["intersection"], true);
    // An unreadable network file is bad input.
    std::fs::write(&net, "[{").unwrap();
    let o = mcnode(&["config", "check", &cs[0], "--network", net.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn devnet_init_load_outputs_fund_a_load_account_with_equal_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("load");
    let v = init_json(&d, &["--nodes", "3", "--load-outputs", "25"]);
    let load = &v["load"];
    assert_eq!(load["outputs"], 25);
    let f = Path::new(load["file"].as_str().unwrap());
    assert!(f.starts_with(d.canonicalize().unwrap().join("wallets")));
    assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
    let (key, _) = mcnode_node::config::keyfile::read_account_key(f).unwrap();
    // The origin block holds the 25 load outputs, each owned by the load account, all equal,
    // in token 0, besides the demo wallets' 16.
    let text = std::fs::read_to_string(v["origin"].as_str().unwrap()).unwrap();
    let spec = mcnode_ledger::origin::parse(&text).unwrap();
    let origin = mcnode_ledger::origin::origin_block(&spec).unwrap();
    let outputs = &origin.block.contents.outputs;
    assert_eq!(outputs.len(), 25 + 16);
    let owned: Vec<_> = outputs.iter().filter_map(|o| o.view(&key, 0).ok()).collect();
    assert_eq!(owned.len(), 25);
    assert!(owned.iter().all(|o| o.amount.token_id == mcnode_tx::TokenId(0)));
    assert!(owned.iter().all(|o| o.amount.value == load["value"].as_u64().unwrap()));
    // Without --load-outputs there is no load account.
    let v = init_json(&dir.path().join("plain"), &["--nodes", "2"]);
    assert!(v["load"].is_null());
    assert!(!dir.path().join("plain/wallets/load.json").exists());
}

#[test]
fn devnet_init_refuses_an_origin_smaller_than_a_ring() {
    let dir = tempfile::tempdir().unwrap();
    // Two wallets make 8 origin outputs: fewer than a ring of 11 members.
    let d = dir.path().join("small");
    let o = mcnode(&["devnet", "init", d.to_str().unwrap(), "--wallets", "2"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("fewer than a ring of 11"), "{}", text(&o));
    assert!(!d.exists(), "nothing is written before the check");
    // Load outputs count towards the ring: 8 + 3 = 11 is enough.
    init_json(&d, &["--wallets", "2", "--load-outputs", "3"]);
}
