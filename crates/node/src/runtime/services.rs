//! What the gRPC servers share: the enclave, the ledger, the engine, the status, and the
//! attested peer sessions this node accepted (session -> peer), plus request limits.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mcnode_api::pb::common::v1 as pb;
use mcnode_enclave::channel::SessionId;
use mcnode_enclave::host_types::FeeEntry;
use mcnode_ledger::Ledger;
use mcnode_types::NodeId;
use tonic::Status;

use super::actor::EngineHandle;
use super::enclave_worker::EnclaveWorker;
use super::ledger::SharedLedger;
use super::status_source::RuntimeStatus;
use crate::admin::Metrics;

pub use mcnode_api::limits::{
    MAX_BLOCKS_PER_REQUEST, MAX_OUTPUTS_PER_REQUEST, MAX_TX_HASHES_PER_REQUEST,
};
/// Relayed transaction lists admitted at once (each a task); past this, relays wait. Each
/// holds up to one peer message's worth of transactions (`MAX_CHUNKS` x 64 KiB = 4 MiB), so
/// this bounds what relays can make a node hold to 256 MiB, whatever attested peers send.
pub const RELAYED_ADMISSIONS: usize = 64;
/// Most attested incoming peer sessions remembered (the enclave bounds its own table too).
pub const MAX_INCOMING_SESSIONS: usize = 1024;

/// Server state, cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    /// This node's id.
    pub own_id: NodeId,
    /// The enclave.
    pub enclave: EnclaveWorker,
    /// The ledger.
    pub ledger: SharedLedger,
    /// The engine.
    pub engine: EngineHandle,
    /// Admits transactions (clients' and peers').
    pub admission: super::admit::Admission,
    /// Relayed transaction lists being admitted ([`RELAYED_ADMISSIONS`] permits).
    pub relayed_admissions: Arc<tokio::sync::Semaphore>,
    /// The status snapshot (also the admin endpoint's source).
    pub status: RuntimeStatus,
    /// The node's Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Configured minimum fees.
    pub fees: Arc<Vec<FeeEntry>>,
    /// Nodes allowed to open peer sessions (the configured peers).
    pub known_peers: Arc<BTreeSet<NodeId>>,
    /// Sessions peers opened to this node.
    pub incoming: Arc<Mutex<HashMap<SessionId, NodeId>>>,
    /// Peer handshakes refused (unknown node, wrong chain or configuration, bad evidence).
    pub peers_refused: Arc<AtomicU64>,
    /// The Byzantine test node's hook (honest pass-through unless configured).
    pub byzantine: super::byzantine::Hook,
}

impl Services {
    /// Counts a refused peer handshake, by `cause` (a metrics label).
    pub fn refuse_peer(&self, cause: &str) {
        self.peers_refused.fetch_add(1, Ordering::Relaxed);
        self.metrics.record_peer_refused(cause);
    }

    /// Remembers an accepted peer session.
    pub fn accept_session(&self, session: SessionId, peer: NodeId) {
        let mut m = self.incoming.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= MAX_INCOMING_SESSIONS {
            m.retain(|_, p| *p != peer);
        }
        if m.len() < MAX_INCOMING_SESSIONS {
            m.insert(session, peer);
        }
    }

    /// The peer that opened `session`.
    pub fn session_peer(&self, session: &SessionId) -> Option<NodeId> {
        self.incoming.lock().unwrap_or_else(|p| p.into_inner()).get(session).copied()
    }

    /// Number of blocks.
    pub fn height(&self) -> u64 {
        self.status.height()
    }

    /// `GetBlocks`, shared by both APIs.
    pub async fn get_blocks(
        &self,
        req: pb::GetBlocksRequest,
    ) -> Result<pb::GetBlocksResponse, Status> {
        if req.limit == 0 {
            return Err(Status::invalid_argument("limit must be at least 1"));
        }
        let limit = u64::from(req.limit.min(MAX_BLOCKS_PER_REQUEST));
        let blocks = self
            .ledger
            .with(move |l| l.blocks(req.from, limit))
            .await
            .map_err(|e| Status::internal(e.to_string()))?
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(mcnode_api::convert::requests::blocks_within_budget(&blocks))
    }
}

/// The node id a 32-byte field names.
pub fn node_id_field(field: &str, b: &[u8]) -> Result<NodeId, Status> {
    b.try_into()
        .map(NodeId)
        .map_err(|_| Status::invalid_argument(format!("{field} must be 32 bytes")))
}
