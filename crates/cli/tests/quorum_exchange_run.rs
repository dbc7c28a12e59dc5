//! Peers' quorum sets learned from the network (issue 11), with real `mcnode run` processes:
//! a 4-node devnet from a topology file in which every node trusts differently, so no node
//! could guess another's quorum set (nor the hash its statements carry) from its own. The
//! nodes fetch each other's sets by the hashes their signed statements name (`GetQuorumSet`),
//! agree on a block of a client transaction, and each reports the network it learned as
//! intersecting.
//!
//! Bounded waits with messages naming what did not happen; no sleep is an assertion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::time::Duration;

use mcnode_api::pb::common::v1::ProposeTxResult;
use net::{assert_same_last_block, devnet_init_with, http, start, wait_all, wallet};

/// Four different quorum sets whose quorums intersect ({b,c}, {a,b,d}, {a,c,d}, {a,b,c}, ...).
const TOPOLOGY: &str = r#"[
  {"publicKey":"a","quorumSet":{"threshold":3,"validators":["a","b","c","d"]}},
  {"publicKey":"b","quorumSet":{"threshold":2,"validators":["a","b","c"]}},
  {"publicKey":"c","quorumSet":{"threshold":2,"validators":["b","c","d"]}},
  {"publicKey":"d","quorumSet":{"threshold":3,"validators":["a","b","c","d"]}}
]"#;

#[test]
fn nodes_with_different_quorum_sets_learn_them_and_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let topo = tmp.path().join("topology.json");
    std::fs::write(&topo, TOPOLOGY).unwrap();
    let nodes = devnet_init_with(&dir, &["--topology", topo.to_str().unwrap()]);
    assert_eq!(nodes.len(), 4);
    let mut procs: Vec<_> = nodes.iter().map(|n| start(n, &[])).collect();
    let all: Vec<_> = nodes.iter().collect();
    wait_all(&all, Duration::from_secs(90), "peers connected", |i| {
        let peers = i["peers"].as_array().unwrap();
        peers.iter().all(|p| p["state"] == "connected")
    });

    // Nobody has spoken yet: the network each node knows is its own quorum set only.
    let (_, q) = http(&nodes[0].admin, "GET", "/quorum", "").unwrap();
    let q: serde_json::Value = serde_json::from_str(&q).unwrap();
    assert!(q["health"]["intersection"].is_null(), "decided without the peers' sets: {q}");

    let w = wallet(&dir, 0, &nodes[0].config);
    let to = wallet(&dir, 1, &nodes[0].config).account.default_address();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(w.submit(&nodes[0].client, &w.payment(&to, 500, 5), 6));
    assert_eq!(r, ProposeTxResult::Ok);
    wait_all(&all, Duration::from_secs(90), "block 1 on every node", |i| {
        i["height"].as_u64().unwrap() >= 2
    });
    assert_same_last_block(nodes.iter(), "after the payments");

    // Every node learned the sets of the nodes it heard from and finds them intersecting.
    for n in &nodes {
        let (code, q) = http(&n.admin, "GET", "/quorum", "").unwrap();
        assert_eq!(code, 200);
        let q: serde_json::Value = serde_json::from_str(&q).unwrap();
        assert_eq!(q["health"]["intersection"], true, "{}: {q}", n.id);
    }
    for (p, n) in procs.iter_mut().zip(&nodes) {
        assert_eq!(p.terminate(), Some(0), "node {} did not exit 0; log {}", n.id, p.log.display());
    }
}
