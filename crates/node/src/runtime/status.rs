//! What the runtime tells the operator about itself: a snapshot the actor refreshes after
//! every batch of engine actions, served as JSON on the admin address (`GET /info`) and read by
//! `mcnode devnet up`'s status view.

use serde::{Deserialize, Serialize};

/// A peer as the node sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    /// Its node id.
    pub id: String,
    /// Whether an attested connection to it is up.
    pub connected: bool,
    /// Highest slot it was seen at.
    pub slot: Option<u64>,
}

/// The node's status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// This node's id.
    pub node_id: String,
    /// The chain id.
    pub chain_id: String,
    /// Software version.
    pub version: String,
    /// Number of blocks in the ledger.
    pub height: u64,
    /// Id of the last block.
    pub last_block_id: String,
    /// Unix seconds when this node appended its last block (0: none since start).
    pub last_block_time: u64,
    /// Outputs appended since start.
    pub outputs_appended: u64,
    /// Key images (spent inputs) appended since start: a proxy for transactions (each has at
    /// least one input; the devnet's have one).
    pub key_images_appended: u64,
    /// The slot being decided.
    pub slot: u64,
    /// Its SCP phase (`idle`, `nominate`, `prepare`, `confirm`, `externalize`).
    pub phase: String,
    /// Whether the client API takes transactions (false while catching up).
    pub serving: bool,
    /// Blocks this node knows it is behind by.
    pub blocks_behind: u64,
    /// Pending transactions.
    pub pool: usize,
    /// Peer messages dropped (all causes).
    pub dropped_messages: u64,
    /// Dropped peer messages by cause (only causes seen).
    pub dropped_by_cause: std::collections::BTreeMap<String, u64>,
    /// Peers handshakes refused (wrong chain, bad attestation, unknown node).
    pub peers_refused: u64,
    /// Configured peers.
    pub peers: Vec<PeerStatus>,
}
