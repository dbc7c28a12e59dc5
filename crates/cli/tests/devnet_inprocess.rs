//! The in-process enclave backend end to end (issue 11): a 4-node devnet from `devnet init`
//! whose nodes run their enclaves inside the node process (`enclave.backend = "in-process"`)
//! connects, attests each other (the evidence names each node id), forms a block with a
//! payment submitted through the client API, and agrees on its id.
//!
//! Bounded waits with messages naming what did not happen; no sleep is an assertion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::time::Duration;

use mcnode_api::pb::common::v1::ProposeTxResult;
use net::{
    assert_same_last_block, devnet_init, http, metric, start, wait_all, wait_connected, wallet,
};

#[test]
fn in_process_enclaves_form_agreed_blocks_with_a_payment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = devnet_init(&dir, 4);
    let mut procs: Vec<_> =
        nodes.iter().map(|n| start(n, &["enclave.backend=in-process"])).collect();
    let refs: Vec<_> = nodes.iter().collect();
    wait_connected(&refs, 3, Duration::from_secs(90));

    let w = wallet(&dir, 0, &nodes[0].config);
    let to = wallet(&dir, 1, &nodes[0].config).account.default_address();
    let tx = w.payment(&to, 4_321, 11);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(w.submit(&nodes[0].client, &tx, 12));
    assert_eq!(result, ProposeTxResult::Ok, "the node refused the transaction");

    wait_all(&refs, Duration::from_secs(90), "block 1 on every node", |i| {
        i["height"].as_u64().unwrap() >= 2
    });
    assert_same_last_block(nodes.iter(), "after the payments");
    // Each node's enclave checked the payment once: every node but the first got it from
    // three peers (each relays what it pools to all but its sender), and a copy of a pooled
    // transaction is not checked again (without that rule: 1 + 3 x 3 = 10 checks).
    let (mut checks, mut skipped) = (0.0, 0.0);
    for n in &nodes {
        let (_, text) = http(&n.admin, "GET", "/metrics", "").expect("metrics");
        checks += metric(&text, "mcnode_tx_checks_total").unwrap_or(0.0);
        skipped += metric(&text, "mcnode_tx_copies_skipped_total").unwrap_or(0.0);
    }
    assert!((4.0..=6.0).contains(&checks), "{checks} enclave checks of one payment on 4 nodes");
    assert!(skipped >= 1.0, "no relayed copy was skipped");
    let again = rt.block_on(w.submit(&nodes[1].client, &tx, 13));
    assert_eq!(again, ProposeTxResult::KeyImageSpent);

    for p in &mut procs {
        assert_eq!(p.terminate(), Some(0), "a node did not stop cleanly: see {}", p.log.display());
    }
    // The option was honoured: no node started an enclave process.
    for p in &procs {
        let log = std::fs::read_to_string(&p.log).unwrap();
        assert!(log.contains("enclave runs in-process"), "{}", p.log.display());
        assert!(!log.contains("enclave process started"), "{}", p.log.display());
    }
}
