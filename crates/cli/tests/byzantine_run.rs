//! One Byzantine node on real processes (issue 14): a 4-node mesh devnet (every quorum set 3
//! of 4, so it tolerates one faulty node); nodes 0-2 honest throughout, node 3 restarted with
//! each `[byzantine] behaviour` in turn. For each: the honest nodes form a block with a
//! payment submitted through the client API and agree on its id, and the lie REACHED them:
//! - equivocate: the liar counted equivocations, and honest nodes' conflict witness counted
//!   conflicting, validly signed statements of the liar for one slot (each honest node got one
//!   version from the liar and the other relayed by another honest node);
//! - garbage: honest nodes' drop counters rose for malformed, unsigned, bad-signature and
//!   other-chain messages;
//! - replay: honest nodes dropped stale-slot messages while the network was idle (no honest
//!   node sends anything then; the silent phase is the control that shows it);
//! - silent: the liar completed its handshakes and withheld its statements; the three honest
//!   nodes made progress on their own, and dropped nothing from it while idle.
//!
//! The `mcnode` binary of this test has the `byzantine` feature (mcnode-cli's
//! dev-dependencies); the test checks that first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use mcnode_api::pb::common::v1::ProposeTxResult;
use net::{MCNODE, NodeInfo, devnet_init, http, info, start, wait_all, wait_connected, wallet};

/// The idle window over which replays (and the silent control) are measured.
const IDLE: Duration = Duration::from_millis(2500);
/// Time for the last relays of a closed slot to land before an idle window starts.
const SETTLE: Duration = Duration::from_millis(700);

/// Every sample of `/metrics` whose name (labels included) starts with `prefix`.
fn samples(admin: &str, prefix: &str) -> BTreeMap<String, f64> {
    let (status, body) = http(admin, "GET", "/metrics", "").expect("metrics answer");
    assert_eq!(status, 200);
    body.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| {
            let (name, v) = l.rsplit_once(' ')?;
            Some((name.to_owned(), v.trim().parse().ok()?))
        })
        .collect()
}

fn sum(admin: &str, prefix: &str) -> f64 {
    samples(admin, prefix).values().sum()
}

fn dropped(admin: &str, cause: &str) -> f64 {
    sum(admin, &format!("mcnode_messages_dropped_total{{cause=\"{cause}\"}}"))
}

/// Drop counters of every honest node, by cause.
fn drops(honest: &[NodeInfo]) -> Vec<BTreeMap<String, f64>> {
    honest.iter().map(|n| samples(&n.admin, "mcnode_messages_dropped_total")).collect()
}

fn height(n: &NodeInfo) -> u64 {
    info(&n.admin).unwrap()["height"].as_u64().unwrap()
}

/// Pays with wallet `w` through `via`, waits for the honest nodes to append the block, and
/// checks they agree on every block id.
fn pay_and_agree(dir: &std::path::Path, honest: &[NodeInfo], w: usize, via: &NodeInfo) {
    let refs: Vec<&NodeInfo> = honest.iter().collect();
    let h = honest.iter().map(height).max().unwrap();
    let wal = wallet(dir, w, &via.config);
    let to = wallet(dir, 5, &via.config).account.default_address();
    let tx = wal.payment(&to, 1_000 + w as u64, w as u64 + 1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(wal.submit(&via.client, &tx, w as u8 + 1));
    assert_eq!(r, ProposeTxResult::Ok, "the node refused payment {w}");
    wait_all(&refs, Duration::from_secs(60), &format!("block {h} on every honest node"), |i| {
        i["height"].as_u64().unwrap() > h
    });
    let upto = honest.iter().map(height).min().unwrap();
    let ids: Vec<Vec<String>> = honest
        .iter()
        .map(|n| {
            let (_, body) =
                http(&n.admin, "GET", &format!("/blocks?from=0&limit={upto}"), "").unwrap();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let blocks = v.as_array().or_else(|| v["blocks"].as_array()).unwrap().clone();
            blocks.iter().map(|b| b["id"].as_str().unwrap().to_owned()).collect()
        })
        .collect();
    assert!(ids[0].len() as u64 == upto, "expected {upto} blocks: {:?}", ids[0]);
    assert!(ids.windows(2).all(|p| p[0] == p[1]), "honest nodes disagree: {ids:?}");
}

#[test]
fn one_byzantine_node_of_each_behaviour_lies_and_the_three_honest_nodes_agree() {
    let t0 = Instant::now();
    let out = Command::new(MCNODE).arg("version").output().unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(
        version.lines().any(|l| l.starts_with("features:") && l.contains("byzantine")),
        "the test binary lacks the byzantine feature: {version}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = devnet_init(&dir, 4);
    let (honest, liar) = nodes.split_at(3);
    let liar = &liar[0];
    let _procs: Vec<_> = honest.iter().map(|n| start(n, &[])).collect();
    let all: Vec<&NodeInfo> = nodes.iter().collect();

    for (k, behaviour) in ["equivocate", "garbage", "replay", "silent"].into_iter().enumerate() {
        let set = format!("byzantine.behaviour=\"{behaviour}\"");
        let mut p = start(liar, &[&set]);
        wait_connected(&all, 3, Duration::from_secs(60));
        let before = drops(honest);
        let conflicts_before: f64 =
            honest.iter().map(|n| sum(&n.admin, "mcnode_byzantine_conflicts_seen_total")).sum();

        pay_and_agree(&dir, honest, k, &honest[k % 3]);
        let lies = samples(&liar.admin, "mcnode_byzantine_sent_total");
        let told = |kind: &str| lies.iter().filter(|(n, _)| n.contains(kind)).map(|(_, v)| v).sum();
        match behaviour {
            "equivocate" => {
                let eq: f64 = told("kind=\"equivocation-");
                assert!(eq > 0.0, "the liar told no equivocation: {lies:?}");
                let seen: f64 = honest
                    .iter()
                    .map(|n| sum(&n.admin, "mcnode_byzantine_conflicts_seen_total"))
                    .sum();
                assert!(
                    seen > conflicts_before,
                    "no honest node saw conflicting statements of the liar ({seen})"
                );
            }
            "garbage" => {
                // Give the flood (50/s, seven kinds in turn over three peers) a moment.
                std::thread::sleep(Duration::from_millis(1500));
                for cause in ["malformed", "unsigned", "bad_signature", "other_chain"] {
                    for (n, b) in honest.iter().zip(&before) {
                        let key = format!("mcnode_messages_dropped_total{{cause=\"{cause}\"}}");
                        let was = b.get(&key).copied().unwrap_or(0.0);
                        let now = dropped(&n.admin, cause);
                        assert!(now > was, "{} dropped no more {cause} ({was} -> {now})", n.id);
                    }
                }
                assert!(told("kind=\"garbage-oversized\"") > 0.0, "{lies:?}");
            }
            "replay" => {
                // A second block, so the liar holds statements of closed slots.
                pay_and_agree(&dir, honest, 4, &honest[1]);
                std::thread::sleep(SETTLE);
                let idle_from: Vec<f64> =
                    honest.iter().map(|n| dropped(&n.admin, "stale_slot")).collect();
                std::thread::sleep(IDLE);
                for (n, was) in honest.iter().zip(idle_from) {
                    let now = dropped(&n.admin, "stale_slot");
                    assert!(now > was, "{}: no replayed stale statement dropped while idle", n.id);
                }
                let lies = samples(&liar.admin, "mcnode_byzantine_sent_total");
                let other: f64 =
                    lies.iter().filter(|(n, _)| n.ends_with("-other\"}")).map(|(_, v)| v).sum();
                assert!(other > 0.0, "the liar replayed no other node's statement: {lies:?}");
            }
            _ => {
                assert!(told("kind=\"withheld-statement\"") > 0.0, "{lies:?}");
                // Control for the replay phase: with the liar silent, an idle network drops
                // nothing at all.
                std::thread::sleep(SETTLE);
                let idle_from = drops(honest);
                std::thread::sleep(IDLE);
                assert_eq!(drops(honest), idle_from, "honest nodes dropped messages while idle");
            }
        }
        assert_eq!(p.terminate(), Some(0), "liar ({behaviour}) did not stop cleanly");
        eprintln!("{behaviour}: done after {:?}", t0.elapsed());
    }
}
