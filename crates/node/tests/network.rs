//! Whole-network checks: intersection as far as known, and consistency between configurations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use mcnode_node::config::NodeConfig;
use mcnode_node::config::network::{self, Member, Mismatch};
use mcnode_scp::QuorumSet;
use mcnode_types::{Hash32, NodeId};

fn id(i: u8) -> NodeId {
    NodeId([i; 32])
}

#[test]
fn two_halves_that_trust_only_themselves_split() {
    let a = QuorumSet::new(2, vec![id(1), id(2)]);
    let b = QuorumSet::new(2, vec![id(3), id(4)]);
    let nodes = [(id(1), a.clone()), (id(2), a), (id(3), b.clone()), (id(4), b)];
    let r = network::check(&nodes, None).unwrap();
    assert!(r.is_problem());
    let (x, y) = r.split.unwrap();
    assert_eq!(x.len() + y.len(), 4);
}

#[test]
fn a_majority_mesh_intersects_and_unknown_nodes_are_listed() {
    let all = [id(1), id(2), id(3), id(4)];
    let q = |me: NodeId| QuorumSet::new(2, all.iter().copied().filter(|n| *n != me).collect());
    let nodes: Vec<_> = all.iter().map(|n| (*n, q(*n))).collect();
    let r = network::check(&nodes, None).unwrap();
    assert!(!r.is_problem());
    assert!(r.has_quorum && r.split.is_none() && r.unknown.is_empty());
    // Only one node known: not a verdict, the others are unknown.
    let r = network::check(&nodes[..1], None).unwrap();
    assert!(!r.is_problem());
    assert_eq!(r.unknown.len(), 3);
}

#[test]
fn stellarbeat_file_fills_in_other_nodes() {
    let all = [id(1), id(2), id(3)];
    let json = serde_json::json!(all[1..].iter().map(|n| serde_json::json!({
        "publicKey": n.to_strkey(),
        "quorumSet": {"threshold": 2, "validators": all.iter().map(|v| v.to_strkey()).collect::<Vec<_>>()}
    })).collect::<Vec<_>>());
    let f = mcnode_fbas::input::parse_stellarbeat(&json.to_string()).unwrap();
    let mine = [(id(1), QuorumSet::new(2, all.to_vec()))];
    let r = network::check(&mine, Some(&f)).unwrap();
    assert_eq!(r.known, 3);
    assert!(r.unknown.is_empty() && r.has_quorum && r.split.is_none());
}

fn member<'a>(
    label: &str,
    node_id: Option<NodeId>,
    origin_block: Option<Hash32>,
    config: &'a NodeConfig,
) -> Member<'a> {
    Member { label: label.into(), node_id, origin_block, config }
}

#[test]
fn attested_parameters_must_agree_between_configurations() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/node.toml"))
            .unwrap();
    let o = mcnode_node::config::Overrides::default();
    let a = mcnode_node::config::parse(&text, &o, std::path::Path::new("/")).unwrap().config;
    let mut b = a.clone();
    b.chain_id = "other".into();
    let m = network::consistency(&[member("a", None, None, &a), member("b", None, None, &b)]);
    assert_eq!(m, vec![Mismatch::Attested { field: "chain_id", a: "a".into(), b: "b".into() }]);
    // Different origin blocks.
    let (o1, o2) = (Some(Hash32([1; 32])), Some(Hash32([2; 32])));
    let m = network::consistency(&[member("a", None, o1, &a), member("c", None, o2, &a)]);
    assert_eq!(
        m,
        vec![Mismatch::Attested { field: "ledger.origin", a: "a".into(), b: "c".into() }]
    );
    // A peer entry pointing elsewhere than where that peer listens.
    let peer = a.peers[0].id;
    b.chain_id = a.chain_id.clone();
    b.peer_listen = "127.0.0.1:1".parse().unwrap();
    b.peers.clear();
    let m = network::consistency(&[member("a", None, None, &a), member("b", Some(peer), None, &b)]);
    assert!(matches!(&m[..], [Mismatch::PeerAddress { config, .. }] if config == "a"), "{m:?}");
}
