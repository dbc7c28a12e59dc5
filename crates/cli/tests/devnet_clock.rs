//! Clocks that disagree (issue 14): a 4-node loopback devnet in which one node's consensus
//! clock runs twice as fast as real time (`consensus.clock_rate_percent = 200`: its block
//! interval and SCP timers expire in half the time) still agrees with its peers on every block,
//! whether a payment enters through it or through a node with a true clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::time::Duration;

use mcnode_api::pb::common::v1::ProposeTxResult;
use net::{assert_same_last_block, devnet_init, start, wait_all, wait_connected, wallet};

#[test]
fn a_node_whose_clock_runs_twice_as_fast_agrees_with_its_peers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = devnet_init(&dir, 4);
    let mut procs: Vec<_> = nodes[..3].iter().map(|n| start(n, &[])).collect();
    procs.push(start(&nodes[3], &["consensus.clock_rate_percent=200"]));
    let all: Vec<_> = nodes.iter().collect();
    wait_connected(&all, 3, Duration::from_secs(90));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let to = wallet(&dir, 5, &nodes[0].config).account.default_address();
    // Through the fast node, a true one, the fast node again.
    for (k, via) in [3usize, 0, 3].into_iter().enumerate() {
        let w = wallet(&dir, k, &nodes[via].config);
        let r = rt.block_on(w.submit(
            &nodes[via].client,
            &w.payment(&to, 100 + k as u64, 7 + k as u64),
            1,
        ));
        assert_eq!(r, ProposeTxResult::Ok, "payment {k} through node {via} refused");
        let height = k as u64 + 2;
        wait_all(&all, Duration::from_secs(90), &format!("block {} everywhere", k + 1), |i| {
            i["height"].as_u64().unwrap() >= height
        });
        assert_same_last_block(nodes.iter(), &format!("after {k}"));
    }
    for (p, n) in procs.iter_mut().zip(&nodes) {
        assert_eq!(p.terminate(), Some(0), "node {} did not exit 0; log {}", n.id, p.log.display());
    }
}
