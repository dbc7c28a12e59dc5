//! Real `mcnode run` processes on loopback (issue 11): a 5-node devnet from `devnet init` with
//! one node started with the wrong chain id. The four honest nodes connect, attest each other,
//! and reach identical block ids with a transaction submitted through the client API; the
//! wrong-chain node is refused and counted (`/info`, and by cause in `/metrics`); SIGTERM stops every node with exit 0 and leaves
//! every ledger passing `mcnode ledger verify`.
//!
//! Bounded waits with messages naming what did not happen; no sleep is an assertion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::process::Command;
use std::time::Duration;

use mcnode_api::pb::common::v1::ProposeTxResult;
use net::{
    MCNODE, assert_same_last_block, devnet_init, http, info, start, wait_all, wait_connected,
    wallet,
};

#[test]
fn four_nodes_agree_on_blocks_of_a_client_transaction_and_stop_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = devnet_init(&dir, 5);
    let (honest, wrong) = nodes.split_at(4);
    let mut procs: Vec<_> = honest.iter().map(|n| start(n, &[])).collect();
    let mut bad = start(&wrong[0], &["chain_id=wrong-chain"]);
    let honest_refs: Vec<_> = honest.iter().collect();

    // Every honest node connects to and attests the three other honest nodes.
    wait_connected(&honest_refs, 3, Duration::from_secs(90));

    // A payment through node 0's client API.
    let w = wallet(&dir, 0, &honest[0].config);
    let to = wallet(&dir, 1, &honest[0].config).account.default_address();
    let tx = w.payment(&to, 12_345, 7);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(w.submit(&honest[0].client, &tx, 9));
    assert_eq!(result, ProposeTxResult::Ok, "the node refused the transaction");

    // Every honest node appends block 1 with it, and they agree on its id.
    wait_all(&honest_refs, Duration::from_secs(90), "block 1 on every honest node", |i| {
        i["height"].as_u64().unwrap() >= 2
    });
    assert_same_last_block(honest.iter(), "after the payments");

    // The same transaction again: its key image is spent now.
    let again = rt.block_on(w.submit(&honest[1].client, &tx, 10));
    assert_eq!(again, ProposeTxResult::KeyImageSpent);

    // The wrong-chain node was refused (its enclave's configuration digest differs) and
    // counted by the honest nodes; it never connected to any of them.
    for n in honest {
        let i = info(&n.admin).unwrap();
        assert!(i["peers_refused"].as_u64().unwrap() > 0, "{} counted no refusal: {i}", n.id);
        let p =
            i["peers"].as_array().unwrap().iter().find(|p| p["node_id"] == wrong[0].id.as_str());
        assert_eq!(p.unwrap()["state"], "disconnected", "{} connected the wrong-chain node", n.id);
        // Counted by cause: the Noise prologue binds the chain id, so the wrong-chain node's
        // handshake fails there.
        let (_, m) = http(&n.admin, "GET", "/metrics", "").unwrap();
        let refused = m
            .lines()
            .find_map(|l| l.strip_prefix("mcnode_peers_refused_total{cause=\"noise_prologue\"} "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        assert!(
            refused.is_some_and(|v| v >= 1.0),
            "{} counted no noise_prologue refusal: {m}",
            n.id
        );
    }

    // SIGTERM: every node exits 0 and its ledger verifies.
    bad.terminate();
    for (p, n) in procs.iter_mut().zip(honest) {
        assert_eq!(p.terminate(), Some(0), "node {} did not exit 0; log {}", n.id, p.log.display());
    }
    for n in honest {
        let out = Command::new(MCNODE)
            .args(["ledger", "verify"])
            .arg(n.dir.join("ledger"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ledger of {} fails verify: {}{}",
            n.id,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// SIGKILL one of four nodes; the other three go on (each needs two of its three peers); the
/// killed node restarts from its ledger and persisted statements, catches up on the blocks it
/// missed (signed blocks fetched from peers), and then takes part in the next block again.
#[test]
fn a_sigkilled_node_restarts_catches_up_and_agrees_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = devnet_init(&dir, 4);
    let mut procs: Vec<_> = nodes.iter().map(|n| start(n, &[])).collect();
    let all: Vec<_> = nodes.iter().collect();
    wait_connected(&all, 3, Duration::from_secs(90));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let to = wallet(&dir, 5, &nodes[0].config).account.default_address();

    procs[3].kill();
    let w0 = wallet(&dir, 0, &nodes[0].config);
    let r = rt.block_on(w0.submit(&nodes[0].client, &w0.payment(&to, 111, 1), 1));
    assert_eq!(r, ProposeTxResult::Ok);
    let three: Vec<_> = nodes[..3].iter().collect();
    wait_all(&three, Duration::from_secs(90), "block 1 without the killed node", |i| {
        i["height"].as_u64().unwrap() >= 2
    });

    procs[3] = start(&nodes[3], &[]);
    wait_all(&[&nodes[3]], Duration::from_secs(120), "the restarted node catching up", |i| {
        i["height"].as_u64().unwrap() >= 2
    });

    let w1 = wallet(&dir, 1, &nodes[1].config);
    let r = rt.block_on(w1.submit(&nodes[3].client, &w1.payment(&to, 222, 2), 2));
    assert_eq!(r, ProposeTxResult::Ok, "the restarted node refused a transaction");
    wait_all(&all, Duration::from_secs(90), "block 2 on every node", |i| {
        i["height"].as_u64().unwrap() >= 3
    });
    assert_same_last_block(nodes.iter(), "after the payments");
    for (p, n) in procs.iter_mut().zip(&nodes) {
        assert_eq!(p.terminate(), Some(0), "node {} did not exit 0; log {}", n.id, p.log.display());
    }
}
