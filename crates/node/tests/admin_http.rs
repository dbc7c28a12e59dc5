//! The admin HTTP endpoints over a real 127.0.0.1 listener, with a fake `StatusSource`: each
//! endpoint's JSON shape, 503 when not serving, 400 with a message for bad parameters, the
//! log-level callback, and the metrics text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use mcnode_api::ProposeTxResult;
use mcnode_enclave::refusal::TxRule;
use mcnode_ledger::{BlockData, Ledger, MemoryLedger, testkit};
use mcnode_node::admin::{
    AdminState, BallotView, ConnectionState, EnclaveStatus, Health, LastBlock, LogLevelError,
    Metrics, NodeStatus, NotServingReason, PeerStatus, QuorumSnapshot, ScpStatus, SlotPhase,
    SlotStatus, SourceError, StatementView, StatusSource, SyncStatus, router,
};
use mcnode_scp::QuorumSet;
use mcnode_types::{Hash32, NodeId};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn id(b: u8) -> NodeId {
    NodeId([b; 32])
}

struct Fake {
    blocks: Vec<BlockData>,
    health: Health,
}

impl StatusSource for Fake {
    fn node_status(&self) -> NodeStatus {
        NodeStatus {
            node_id: id(1),
            chain_id: "testnet".into(),
            version: "0.1.0".into(),
            height: self.blocks.len() as u64,
            last_block: self.blocks.last().map(|b| LastBlock {
                index: b.block.index,
                id: b.block.id.0,
                time: 1_700_000_000,
            }),
            sync: SyncStatus::CatchingUp { blocks_behind: 4 },
            slot: SlotStatus {
                index: 5,
                phase: SlotPhase::Prepare,
                nomination_round: 2,
                ballot_counter: 3,
                depth_limit_hits: 1,
            },
            peers: vec![PeerStatus {
                node_id: id(2),
                address: "127.0.0.1:7001".into(),
                state: ConnectionState::Connected,
                latest_slot: Some(9),
            }],
            pool_size: 17,
            enclave: EnclaveStatus { measurement: Hash32([0xab; 32]), simulated: true },
            peers_refused: 2,
            key_images_appended: 11,
        }
    }
    fn quorum(&self) -> QuorumSnapshot {
        QuorumSnapshot {
            node_id: id(1),
            quorum_set: QuorumSet::new(2, vec![id(1), id(2), id(3)]),
            connected: vec![id(2)],
            intersection: Some(true),
        }
    }
    fn scp(&self) -> ScpStatus {
        ScpStatus {
            slot: 5,
            statements: vec![StatementView::Confirm {
                node: id(2),
                ballot: BallotView { counter: 3, value: "2 txs".into() },
                n_prepared: 3,
                n_commit: 1,
                n_h: 3,
            }],
        }
    }
    fn health(&self) -> Health {
        self.health
    }
    fn blocks(&self, from: u64, limit: u64) -> Result<Vec<BlockData>, SourceError> {
        Ok(self.blocks.iter().skip(from as usize).take(limit as usize).cloned().collect())
    }
}

fn chain(n: u64) -> Vec<BlockData> {
    let mut l = MemoryLedger::new();
    for i in 0..n {
        testkit::append_synthetic(&mut l, i, 2, 1).unwrap();
    }
    l.blocks(0, n).unwrap()
}

struct Node {
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    filters: Arc<Mutex<Vec<String>>>,
}

async fn start(health: Health) -> Node {
    let metrics = Arc::new(Metrics::new());
    let filters = Arc::new(Mutex::new(Vec::new()));
    let seen = filters.clone();
    let state = AdminState {
        source: Arc::new(Fake { blocks: chain(5), health }),
        metrics: metrics.clone(),
        log_level: Arc::new(move |f: &str| {
            if f.contains('!') {
                return Err(LogLevelError { reason: format!("bad directive {f:?}") });
            }
            seen.lock().unwrap().push(f.to_owned());
            Ok(())
        }),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(mcnode_node::admin::serve(listener, router(state), std::future::pending()));
    Node { addr, metrics, filters }
}

/// A minimal HTTP/1.1 client: one request per connection.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

async fn json(addr: SocketAddr, path: &str) -> (u16, Value) {
    let (status, _, body) = http(addr, "GET", path, "").await;
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")))
}

#[tokio::test]
async fn info_has_every_field() {
    let n = start(Health::Serving).await;
    let (status, v) = json(n.addr, "/info").await;
    assert_eq!(status, 200);
    assert_eq!(v["node_id"], id(1).to_string());
    assert_eq!(v["chain_id"], "testnet");
    assert_eq!(v["version"], "0.1.0");
    assert_eq!(v["height"], 5);
    assert_eq!(v["last_block"]["index"], 4);
    assert_eq!(v["last_block"]["id"].as_str().unwrap().len(), 64);
    assert_eq!(v["last_block"]["time"], 1_700_000_000);
    assert_eq!(v["sync"], serde_json::json!({"status": "catching_up", "blocks_behind": 4}));
    assert_eq!(
        v["slot"],
        serde_json::json!({
            "index": 5,
            "phase": "prepare",
            "nomination_round": 2,
            "ballot_counter": 3,
            "depth_limit_hits": 1
        })
    );
    assert_eq!(v["peers"][0]["state"], "connected");
    assert_eq!(v["peers"][0]["latest_slot"], 9);
    assert_eq!(v["peers"][0]["address"], "127.0.0.1:7001");
    assert_eq!(v["pool_size"], 17);
    assert_eq!(v["enclave"]["simulated"], true);
    assert_eq!(v["enclave"]["measurement"], "ab".repeat(32));
}

#[tokio::test]
async fn quorum_reports_health() {
    let n = start(Health::Serving).await;
    let (status, v) = json(n.addr, "/quorum").await;
    assert_eq!(status, 200);
    assert_eq!(v["quorum_set"]["threshold"], 2);
    assert_eq!(v["quorum_set"]["validators"].as_array().unwrap().len(), 3);
    let h = &v["health"];
    assert_eq!(h["slice_satisfied"], true, "self + node 2 meet threshold 2");
    assert_eq!(h["connected"], serde_json::json!([id(2).to_string()]));
    assert_eq!(h["disconnected"], serde_json::json!([id(3).to_string()]));
    assert_eq!(h["disconnected_v_blocking"], false);
    assert_eq!(h["intersection"], true);
}

#[tokio::test]
async fn scp_lists_statements() {
    let n = start(Health::Serving).await;
    let (status, v) = json(n.addr, "/scp").await;
    assert_eq!(status, 200);
    assert_eq!(v["slot"], 5);
    let s = &v["statements"][0];
    assert_eq!(s["type"], "confirm");
    assert_eq!(s["node"], id(2).to_string());
    assert_eq!(s["ballot"], serde_json::json!({"counter": 3, "value": "2 txs"}));
    assert_eq!(s["n_commit"], 1);
}

#[tokio::test]
async fn blocks_pages_and_single_blocks() {
    let n = start(Health::Serving).await;
    let (status, v) = json(n.addr, "/blocks?from=1&limit=2").await;
    assert_eq!(status, 200);
    let page = v.as_array().unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["index"], 1);
    assert_eq!(page[1]["parent_id"], page[0]["id"]);
    assert_eq!(page[0]["outputs"].as_array().unwrap().len(), 2);
    assert_eq!(page[0]["key_images"].as_array().unwrap().len(), 1);
    assert!(page[0]["outputs"][0]["public_key"].as_str().unwrap().len() == 64);
    // Without `from`: the latest blocks.
    let (_, v) = json(n.addr, "/blocks?limit=2").await;
    let idx: Vec<u64> =
        v.as_array().unwrap().iter().map(|b| b["index"].as_u64().unwrap()).collect();
    assert_eq!(idx, vec![3, 4]);
    let (status, v) = json(n.addr, "/blocks/3").await;
    assert_eq!(status, 200);
    assert_eq!(v["index"], 3);
    let (status, v) = json(n.addr, "/blocks/99").await;
    assert_eq!(status, 404);
    assert_eq!(v["error"], "no block 99");
}

#[tokio::test]
async fn bad_parameters_get_400_with_a_message() {
    let n = start(Health::Serving).await;
    for path in ["/blocks?from=abc", "/blocks?limit=-1", "/blocks/xyz"] {
        let (status, v) = json(n.addr, path).await;
        assert_eq!(status, 400, "{path}");
        assert!(!v["error"].as_str().unwrap().is_empty(), "{path}: {v}");
    }
    let (status, v) = json(n.addr, "/blocks?limit=0").await;
    assert_eq!((status, v["error"].as_str().unwrap()), (400, "limit must be 1..=100, got 0"));
    let (status, v) = json(n.addr, "/blocks?limit=101").await;
    assert_eq!((status, v["error"].as_str().unwrap()), (400, "limit must be 1..=100, got 101"));
}

#[tokio::test]
async fn health_is_200_serving_and_503_otherwise() {
    let n = start(Health::Serving).await;
    let (status, v) = json(n.addr, "/health").await;
    assert_eq!((status, v), (200, serde_json::json!({"status": "serving"})));
    let n = start(Health::NotServing(NotServingReason::CatchingUp)).await;
    let (status, v) = json(n.addr, "/health").await;
    assert_eq!(
        (status, v),
        (503, serde_json::json!({"status": "not_serving", "reason": "catching_up"}))
    );
}

#[tokio::test]
async fn log_level_goes_through_the_callback() {
    let n = start(Health::Serving).await;
    let (status, _, body) = http(n.addr, "POST", "/log-level", "info,mcnode_node=debug\n").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(*n.filters.lock().unwrap(), vec!["info,mcnode_node=debug".to_owned()]);
    let (status, _, body) = http(n.addr, "POST", "/log-level", "").await;
    assert_eq!(status, 400);
    assert!(body.contains("empty log filter"), "{body}");
    let (status, _, body) = http(n.addr, "POST", "/log-level", "nope!").await;
    assert_eq!(status, 400);
    assert!(body.contains("bad directive"), "{body}");
    let long = "a".repeat(mcnode_node::admin::MAX_LOG_FILTER_LEN + 1);
    let (status, _, body) = http(n.addr, "POST", "/log-level", &long).await;
    assert_eq!(status, 400);
    assert!(body.contains("longer than 1024 bytes"), "{body}");
    assert_eq!(n.filters.lock().unwrap().len(), 1, "refused filters never reach the callback");
    let (status, _, _) = http(n.addr, "GET", "/log-level", "").await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn metrics_are_openmetrics_text() {
    let n = start(Health::Serving).await;
    n.metrics.pending_values.set(7);
    n.metrics.slot_phase.set(SlotPhase::Confirm.gauge());
    n.metrics.record_tx_result(ProposeTxResult::Rejected(TxRule::FeeTooLow));
    n.metrics.record_tx_result(ProposeTxResult::Ok);
    n.metrics.record_dropped("bad_signature");
    n.metrics.externalize_seconds.observe(1.5);
    n.metrics.catchups.inc();
    n.metrics.scp_depth_limit_hits.inc();
    let (status, head, body) = http(n.addr, "GET", "/metrics", "").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/openmetrics-text"), "{head}");
    for line in [
        "mcnode_pending_values 7",
        "mcnode_slot_phase 3",
        "mcnode_tx_results_total{code=\"fee_too_low\"} 1",
        "mcnode_tx_results_total{code=\"ok\"} 1",
        "mcnode_messages_dropped_total{cause=\"bad_signature\"} 1",
        "mcnode_externalize_seconds_count 1",
        "mcnode_catchups_total 1",
        "mcnode_scp_depth_limit_hits_total 1",
        "mcnode_validation_seconds_count 0",
        "mcnode_peer_connections 0",
        "mcnode_ballot_counter 0",
    ] {
        assert!(body.lines().any(|l| l == line), "missing {line:?} in\n{body}");
    }
    assert!(body.ends_with("# EOF\n"));
}
