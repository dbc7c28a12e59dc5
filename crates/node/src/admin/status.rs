//! What the admin endpoints show: serde snapshot types the runtime fills, and the
//! [`StatusSource`] trait it implements. Everything here is public data (no key material).

use mcnode_ledger::BlockData;
use mcnode_scp::{Pledge, QuorumSet, Statement};
use mcnode_types::{Hash32, NodeId, SlotIndex};
use serde::Serialize;

/// What the admin endpoints read from the running node. Each call returns a fresh snapshot;
/// implementations must not block for long (they run on the HTTP worker threads).
pub trait StatusSource: Send + Sync + 'static {
    /// `GET /info`.
    fn node_status(&self) -> NodeStatus;
    /// `GET /quorum`: the quorum set and which peers are connected.
    fn quorum(&self) -> QuorumSnapshot;
    /// `GET /scp`: the latest statement of every node for the current slot.
    fn scp(&self) -> ScpStatus;
    /// `GET /health`.
    fn health(&self) -> Health;
    /// Up to `limit` blocks from index `from` (fewer at the end of the ledger).
    fn blocks(&self, from: u64, limit: u64) -> Result<Vec<BlockData>, SourceError>;
}

/// The source could not read what was asked (e.g. a ledger read failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status source failed: {what}")]
pub struct SourceError {
    /// What failed (shown to the operator).
    pub what: String,
}

/// `GET /info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeStatus {
    /// This node's id.
    pub node_id: NodeId,
    /// The chain it serves.
    pub chain_id: String,
    /// Software version.
    pub version: String,
    /// Number of blocks in the ledger.
    pub height: u64,
    /// The last block, if the ledger has one.
    pub last_block: Option<LastBlock>,
    /// Synced or catching up.
    pub sync: SyncStatus,
    /// The slot being decided.
    pub slot: SlotStatus,
    /// Configured peers.
    pub peers: Vec<PeerStatus>,
    /// Transactions in the pool.
    pub pool_size: u64,
    /// The enclave this node runs.
    pub enclave: EnclaveStatus,
    /// Peer handshakes refused since start (unknown node, wrong chain or configuration, bad
    /// evidence; by cause in `/metrics`, `mcnode_peers_refused_total`).
    pub peers_refused: u64,
    /// Key images (spent inputs) appended since start: a proxy for transactions (each has at
    /// least one input).
    pub key_images_appended: u64,
}

/// The last block's id, index and time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastBlock {
    /// Its index.
    pub index: u64,
    /// Its id.
    pub id: Hash32,
    /// When this node appended it, Unix seconds.
    pub time: u64,
}

/// Whether the node is in step with the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SyncStatus {
    /// In step.
    Synced,
    /// Fetching blocks it missed.
    CatchingUp {
        /// How many blocks behind the highest slot its peers report.
        blocks_behind: u64,
    },
}

/// A slot's ballot phase, or nomination before the ballot protocol starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotPhase {
    /// No transaction pending: not nominating.
    Idle,
    /// Nominating, no ballot yet.
    Nominating,
    /// Ballot protocol, PREPARE.
    Prepare,
    /// Ballot protocol, CONFIRM.
    Confirm,
    /// Decided.
    Externalize,
}

impl SlotPhase {
    /// A number for the `slot_phase` gauge (0 idle .. 4 externalize).
    pub fn gauge(self) -> i64 {
        match self {
            SlotPhase::Idle => 0,
            SlotPhase::Nominating => 1,
            SlotPhase::Prepare => 2,
            SlotPhase::Confirm => 3,
            SlotPhase::Externalize => 4,
        }
    }
}

/// The slot being decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SlotStatus {
    /// Its index.
    pub index: SlotIndex,
    /// Its phase.
    pub phase: SlotPhase,
    /// Current nomination round (0 before nominating).
    pub nomination_round: u32,
    /// Current ballot counter (0 before balloting).
    pub ballot_counter: u32,
    /// Times since start the SCP core hit its bound on nested state transitions for one input
    /// (never expected in a correct run: a non-zero value is worth reporting).
    pub depth_limit_hits: u64,
}

/// Connection state of a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Attested session established.
    Connected,
    /// Connecting or handshaking.
    Connecting,
    /// Not connected.
    Disconnected,
}

/// One configured peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    /// Its node id.
    pub node_id: NodeId,
    /// Its peer address.
    pub address: String,
    /// Connection state.
    pub state: ConnectionState,
    /// Highest slot it was last heard on.
    pub latest_slot: Option<SlotIndex>,
}

/// The enclave this node runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnclaveStatus {
    /// Its measurement (hex).
    pub measurement: Hash32,
    /// Whether the attestation platform is simulated (protects nothing).
    pub simulated: bool,
}

/// What `/quorum` is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumSnapshot {
    /// This node.
    pub node_id: NodeId,
    /// Its quorum set.
    pub quorum_set: QuorumSet,
    /// Peers with an attested session now.
    pub connected: Vec<NodeId>,
    /// Whether every two quorums of the network as far as this node knows it intersect
    /// (computed at start-up with mcnode-fbas); `None` if not computed.
    pub intersection: Option<bool>,
}

/// `GET /health`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Health {
    /// Serving clients.
    Serving,
    /// Not serving, and why.
    NotServing(NotServingReason),
}

/// Why the node does not serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotServingReason {
    /// Still starting.
    Starting,
    /// Catching up with the network.
    CatchingUp,
    /// Shutting down.
    ShuttingDown,
    /// The enclave is not available.
    EnclaveDown,
}

/// `GET /scp`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScpStatus {
    /// The current slot.
    pub slot: SlotIndex,
    /// The latest statement of every node heard from on it (this node included).
    pub statements: Vec<StatementView>,
}

/// A ballot as shown: counter and a description of the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BallotView {
    /// The counter.
    pub counter: u32,
    /// The value, as the runtime describes it (e.g. tx count and digest).
    pub value: String,
}

/// One SCP statement, summarised for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StatementView {
    /// NOMINATE.
    Nominate {
        /// Sender.
        node: NodeId,
        /// Values voted for.
        votes: Vec<String>,
        /// Values accepted.
        accepted: Vec<String>,
    },
    /// PREPARE.
    Prepare {
        /// Sender.
        node: NodeId,
        /// `b`.
        ballot: BallotView,
        /// `p`.
        prepared: Option<BallotView>,
        /// `p'`.
        prepared_prime: Option<BallotView>,
        /// `c.counter`.
        n_c: u32,
        /// `h.counter`.
        n_h: u32,
    },
    /// CONFIRM.
    Confirm {
        /// Sender.
        node: NodeId,
        /// `b`.
        ballot: BallotView,
        /// `p.counter`.
        n_prepared: u32,
        /// `c.counter`.
        n_commit: u32,
        /// `h.counter`.
        n_h: u32,
    },
    /// EXTERNALIZE.
    Externalize {
        /// Sender.
        node: NodeId,
        /// `c`.
        commit: BallotView,
        /// `h.counter`.
        n_h: u32,
    },
}

impl StatementView {
    /// The view of `s`, describing values with `describe`.
    pub fn of<V>(s: &Statement<V>, describe: impl Fn(&V) -> String) -> StatementView {
        let ballot = |b: &mcnode_scp::Ballot<V>| BallotView {
            counter: b.counter,
            value: describe(&b.value),
        };
        let node = s.node_id;
        match &s.pledge {
            Pledge::Nominate(n) => StatementView::Nominate {
                node,
                votes: n.votes.iter().map(&describe).collect(),
                accepted: n.accepted.iter().map(&describe).collect(),
            },
            Pledge::Prepare(p) => StatementView::Prepare {
                node,
                ballot: ballot(&p.ballot),
                prepared: p.prepared.as_ref().map(ballot),
                prepared_prime: p.prepared_prime.as_ref().map(ballot),
                n_c: p.n_c,
                n_h: p.n_h,
            },
            Pledge::Confirm(c) => StatementView::Confirm {
                node,
                ballot: ballot(&c.ballot),
                n_prepared: c.n_prepared,
                n_commit: c.n_commit,
                n_h: c.n_h,
            },
            Pledge::Externalize(e) => {
                StatementView::Externalize { node, commit: ballot(&e.commit), n_h: e.n_h }
            }
        }
    }
}
