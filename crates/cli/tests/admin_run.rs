//! The admin endpoint of real `mcnode run` processes (issue 11): every route on a running
//! 4-node devnet, checked for values, not only status codes: peers listed and connected, the
//! quorum healthy, heights and slots advancing with a client transaction, the blocks the ledger
//! holds, statements of several nodes on the current slot, metric counters moving, and
//! `POST /log-level` really changing what the node logs.
//!
//! Bounded waits with messages naming what did not happen; no sleep is an assertion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::time::{Duration, Instant};

use mcnode_api::pb::common::v1::ProposeTxResult;
use mcnode_api::pb::peer::v1::GetLatestMsgRequest;
use mcnode_node::engine::ScpEnvelope;
use mcnode_node::runtime::peers::FROM_HEADER;
use mcnode_types::Decode;
use net::{devnet_init, http, metric, start, wait_all, wait_connected, wallet};
use serde_json::Value;

fn get_json(admin: &str, path: &str) -> (u16, Value) {
    let (code, body) = http(admin, "GET", path, "").unwrap();
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (code, v)
}

/// `GetLatestMsg` on the peer API at `peer` (`host:port`), calling as node `from` (hex).
async fn latest_msgs(peer: &str, from: &str) -> Vec<ScpEnvelope> {
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{peer}")).unwrap().connect().await;
    let Ok(channel) = channel else { return Vec::new() };
    let mut client = mcnode_api::limits::peer_api_client(channel);
    let mut req = tonic::Request::new(GetLatestMsgRequest {});
    req.metadata_mut().insert(FROM_HEADER, from.parse().unwrap());
    let r = client.get_latest_msg(req).await.unwrap().into_inner();
    r.envelopes.iter().map(|b| ScpEnvelope::from_canonical_bytes(b).unwrap()).collect()
}

/// A node id (`G...` strkey) as the hex the peer API's caller header carries.
fn hex_id(id: &str) -> String {
    let id: mcnode_types::NodeId = id.parse().unwrap();
    id.0.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_admin_route_answers_real_values_on_a_running_devnet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = devnet_init(&dir, 4);
    let mut procs: Vec<_> = nodes.iter().map(|n| start(n, &[])).collect();
    let all: Vec<_> = nodes.iter().collect();
    wait_connected(&all, 3, Duration::from_secs(90));
    let a = &nodes[0].admin;

    // /health and /quorum: serving, every validator of the quorum set connected.
    let (code, h) = get_json(a, "/health");
    assert_eq!((code, h["status"].as_str()), (200, Some("serving")));
    let (code, q) = get_json(a, "/quorum");
    assert_eq!(code, 200);
    assert_eq!(q["health"]["slice_satisfied"], true, "{q}");
    assert_eq!(q["health"]["connected"].as_array().unwrap().len(), 3, "{q}");
    assert!(q["health"]["disconnected"].as_array().unwrap().is_empty(), "{q}");
    assert_eq!(q["health"]["disconnected_v_blocking"], false);
    // No peer has sent a statement yet, so their quorum sets are unknown: undecided.
    assert!(q["health"]["intersection"].is_null(), "{q}");
    assert_eq!(q["quorum_set"]["threshold"], 2, "devnet init's mesh:4:2: {q}");

    // /info before any transaction.
    let (_, before) = get_json(a, "/info");
    assert_eq!(before["node_id"], nodes[0].id.as_str());
    assert_eq!(before["height"], 1);
    assert_eq!(before["slot"]["index"], 1);
    assert_eq!(before["sync"]["status"], "synced");
    assert_eq!(before["enclave"]["simulated"], true);
    let listed: Vec<&str> = before["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["node_id"].as_str().unwrap())
        .collect();
    for n in &nodes[1..] {
        assert!(listed.contains(&n.id.as_str()), "peer {} not listed: {before}", n.id);
    }
    let m0 = http(a, "GET", "/metrics", "").unwrap().1;
    assert_eq!(metric(&m0, "mcnode_peer_connections"), Some(3.0), "{m0}");
    assert_eq!(metric(&m0, "mcnode_tx_results_total{code=\"ok\"}"), None);

    // POST /log-level: nothing at TRACE level is logged before; after the change it is.
    let log = nodes[0].dir.join("run.log");
    let traced = || std::fs::read_to_string(&log).unwrap_or_default().contains("TRACE");
    assert!(!traced(), "TRACE lines before the filter changed");
    let (code, body) = http(a, "POST", "/log-level", "info,mcnode_node=trace,h2=trace").unwrap();
    assert_eq!(code, 200, "{body}");
    let (code, body) = http(a, "POST", "/log-level", "info,mcnode_node=notalevel").unwrap();
    assert_eq!(code, 400, "a bad filter must be refused: {body}");

    // A payment; block 1 on every node.
    let w = wallet(&dir, 0, &nodes[0].config);
    let to = wallet(&dir, 1, &nodes[0].config).account.default_address();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(w.submit(&nodes[0].client, &w.payment(&to, 1_000, 3), 4));
    assert_eq!(r, ProposeTxResult::Ok);

    // While the slot is decided: /scp shows statements of several nodes on it, and the peer
    // API's GetLatestMsg answers node 0's own signed statements for it.
    let t0 = Instant::now();
    let (mut scp, mut latest) = (None, None);
    while scp.is_none() || latest.is_none() {
        let (code, s) = get_json(a, "/scp");
        assert_eq!(code, 200);
        if scp.is_none() && s["statements"].as_array().unwrap().len() >= 2 {
            scp = Some(s);
        }
        if latest.is_none() {
            let got = rt.block_on(latest_msgs(&nodes[0].peer, &hex_id(&nodes[1].id)));
            if !got.is_empty() {
                latest = Some(got);
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no statements: /scp {scp:?}, GetLatestMsg {latest:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let (scp, latest) = (scp.unwrap(), latest.unwrap());
    for e in &latest {
        assert_eq!(e.statement.node_id.to_string(), nodes[0].id, "not node 0's statement");
        assert_eq!(e.statement.slot, 1);
        assert_eq!(e.chain_id, w.chain_id);
        e.verify().expect("GetLatestMsg answered an envelope that does not verify");
    }
    // A caller that is not a configured peer gets none.
    let stranger = "11".repeat(32);
    assert!(rt.block_on(latest_msgs(&nodes[0].peer, &stranger)).is_empty());
    assert_eq!(scp["slot"], 1, "{scp}");
    for st in scp["statements"].as_array().unwrap() {
        let node = st["node"].as_str().unwrap();
        assert!(nodes.iter().any(|n| n.id == node), "statement of an unknown node: {st}");
        assert!(st["type"].is_string());
    }

    wait_all(&all, Duration::from_secs(90), "block 1 on every node", |i| {
        i["height"].as_u64().unwrap() >= 2
    });
    let (_, after) = get_json(a, "/info");
    assert_eq!(after["slot"]["index"], after["height"]);
    assert!(after["key_images_appended"].as_u64().unwrap() >= 1, "{after}");
    assert!(after["last_block"]["time"].as_u64().unwrap() > 0, "{after}");
    // The peers' quorum sets are learned from their statements: the network intersects.
    let (_, q) = get_json(a, "/quorum");
    assert_eq!(q["health"]["intersection"], true, "{q}");

    // /blocks and /blocks/{index}: the ledger's blocks, and 400/404 for bad pages.
    let (code, page) = get_json(a, "/blocks?from=0&limit=2");
    assert_eq!(code, 200);
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!((page[0]["index"].as_u64(), page[1]["index"].as_u64()), (Some(0), Some(1)));
    assert_eq!(page[1]["id"], after["last_block"]["id"], "block 1 is the last block");
    let (code, one) = get_json(a, "/blocks/1");
    assert_eq!((code, &one["id"]), (200, &page[1]["id"]));
    assert_eq!(get_json(a, "/blocks/999").0, 404);
    assert_eq!(get_json(a, "/blocks?limit=0").0, 400);
    assert_eq!(get_json(a, "/blocks?from=x").0, 400);

    // /metrics: the counters moved.
    let m1 = http(a, "GET", "/metrics", "").unwrap().1;
    assert!(metric(&m1, "mcnode_tx_results_total{code=\"ok\"}").unwrap() >= 1.0, "{m1}");
    assert!(metric(&m1, "mcnode_validation_seconds_count").unwrap() >= 1.0, "{m1}");
    assert!(metric(&m1, "mcnode_externalize_seconds_count").unwrap() >= 1.0, "{m1}");
    assert!(metric(&m1, "mcnode_current_slot").unwrap() >= 2.0, "{m1}");
    assert_eq!(metric(&m1, "mcnode_peer_connects_total"), Some(3.0), "{m1}");

    // The log filter took effect.
    let t0 = Instant::now();
    while !traced() {
        assert!(t0.elapsed() < Duration::from_secs(30), "no TRACE line after POST /log-level");
        std::thread::sleep(Duration::from_millis(100));
    }

    for (p, n) in procs.iter_mut().zip(&nodes) {
        assert_eq!(p.terminate(), Some(0), "node {} did not exit 0; log {}", n.id, p.log.display());
    }
}
