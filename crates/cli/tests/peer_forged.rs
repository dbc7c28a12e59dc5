//! A peer presenting forged attestation evidence to a running node (issue 11): the test plays
//! the peer's side of the attested handshake over the real peer API (`PeerAuth`,
//! `PeerAuthFinish`), as a configured peer whose node is not running, with an enclave identity
//! whose evidence is
//! - signed under a simulated platform root that is not the node's configured trust anchor
//!   (forged): refused and counted as `peers_refused_total{cause="untrusted_anchor"}`;
//! - genuine (the devnet platform the node trusts) but naming another node id than the one
//!   the caller claims: refused and counted as `peer_id_mismatch`.
//!
//! Bounded waits with messages naming what did not happen; no sleep is an assertion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::time::Duration;

use mcnode_api::pb::peer::v1::{PeerAuthFinishRequest, PeerAuthRequest};
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Policy, Verifier};
use mcnode_enclave::channel::{ChannelConfig, PeerInitiator};
use mcnode_enclave::identity::{EnclaveIdentity, IdentityParams};
use mcnode_enclave::measurement::{default_trusted_measurements, release_program};
use mcnode_node::config::{self, Overrides, keyfile};
use mcnode_types::NodeId;
use net::{NodeInfo, devnet_init, http, start, wait_connected, wallet};

fn node_id(n: &NodeInfo) -> NodeId {
    let cfg = config::load(&n.config, &Overrides::default()).unwrap().config;
    keyfile::node_id(&keyfile::read_message_key(&cfg.keys.message_signing_key).unwrap())
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Runs the initiator's side of a peer handshake with the node at `peer`, claiming to be
/// `from`, with an enclave on `platform` whose evidence names `named`. Returns whether the
/// node accepted.
async fn handshake(
    peer: &str,
    cfg: &ChannelConfig,
    platform: &SimPlatform,
    from: NodeId,
    named: NodeId,
) -> bool {
    let params = IdentityParams {
        chain_id: &cfg.chain_id,
        node_id: named,
        config_digest: cfg.config_digest,
        nonce: [3; 16],
        now: now(),
        validity_secs: 3600,
    };
    let identity =
        EnclaveIdentity::generate_simulated(platform, &release_program(), &params, [4; 32])
            .unwrap();
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{peer}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = mcnode_api::limits::peer_api_client(channel);
    let (init, msg1) = PeerInitiator::start(&identity, cfg, [5; 32]).unwrap();
    let req = PeerAuthRequest { from_node_id: from.0.to_vec(), handshake: msg1 };
    let msg2 = client.peer_auth(req).await.unwrap().into_inner().handshake;
    // The node's own evidence is genuine devnet evidence: the forger accepts it.
    let verifier = Verifier::new(Policy::simulated(
        SimRootKey::devnet().public(),
        default_trusted_measurements(),
    ));
    let (_, msg3, _) = init.finish(&identity, &msg2, &verifier, now()).unwrap();
    let req = PeerAuthFinishRequest { from_node_id: from.0.to_vec(), handshake: msg3 };
    client.peer_auth_finish(req).await.is_ok()
}

fn refused(admin: &str, cause: &str) -> u64 {
    let (_, m) = http(admin, "GET", "/metrics", "").unwrap();
    let prefix = format!("mcnode_peers_refused_total{{cause=\"{cause}\"}} ");
    m.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map_or(0, |v| v.parse().unwrap())
}

#[test]
fn forged_and_misnamed_peer_evidence_is_refused_and_counted_by_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = devnet_init(&dir, 3);
    // Nodes 0 and 1 run; node 2 does not: the test speaks as node 2.
    let _procs: Vec<_> = nodes[..2].iter().map(|n| start(n, &[])).collect();
    wait_connected(&[&nodes[0], &nodes[1]], 1, Duration::from_secs(90));
    let cfg = wallet(&dir, 0, &nodes[0].config).channel;
    let (as_node2, node1) = (node_id(&nodes[2]), node_id(&nodes[1]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let target = &nodes[0];

    // Forged: a platform certified by a root the node does not trust.
    let forged = SimPlatform::new(&SimRootKey::from_seed([0x66; 32]), [7; 32], 0, u64::MAX);
    assert!(!rt.block_on(handshake(&target.peer, &cfg, &forged, as_node2, as_node2)));
    assert_eq!(refused(&target.admin, "untrusted_anchor"), 1);

    // Genuine evidence (the devnet platform the node trusts), naming node 1 while the caller
    // claims to be node 2.
    let genuine = SimPlatform::devnet([8; 32]);
    assert!(!rt.block_on(handshake(&target.peer, &cfg, &genuine, as_node2, node1)));
    assert_eq!(refused(&target.admin, "peer_id_mismatch"), 1);

    // Control: the same genuine platform naming node 2 is accepted (the simulated devnet root
    // is public; only a hardware platform would make this a forgery).
    assert!(rt.block_on(handshake(&target.peer, &cfg, &genuine, as_node2, as_node2)));
    assert_eq!(refused(&target.admin, "untrusted_anchor"), 1);
}
