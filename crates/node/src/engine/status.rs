//! A read-only snapshot of the engine for the admin API (`/info`, `/scp`, `/metrics`) and the
//! peer API (`GetLatestMsg`).

use mcnode_scp::{Phase, Statement, TxHashSet};
use mcnode_types::{NodeId, SlotIndex};

use super::envelope::{DropCounters, Wire};
use super::{Engine, EngineStats, Tip};

/// Whether the node follows the network or is fetching blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    /// In step (or not yet sure it is behind: within the grace period).
    Synced,
    /// Catching up; the client API answers `NotServing`.
    CatchingUp {
        /// Blocks behind the highest slot a peer was seen at.
        blocks_behind: u64,
    },
}

/// One peer as the engine sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus {
    /// Its node id.
    pub node: NodeId,
    /// Whether a connection is open.
    pub connected: bool,
    /// Highest slot it was seen at (0: never heard of).
    pub latest_slot: SlotIndex,
}

/// The snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineStatus {
    /// This node.
    pub node: NodeId,
    /// The ledger tip.
    pub tip: Tip,
    /// Sync status.
    pub sync: SyncStatus,
    /// The slot being decided.
    pub slot: SlotIndex,
    /// Its ballot phase (`None` before the slot has any state).
    pub phase: Option<Phase>,
    /// Its nomination round.
    pub nomination_round: u32,
    /// Its ballot counter (0 before balloting).
    pub ballot_counter: u32,
    /// Every known validator.
    pub peers: Vec<PeerStatus>,
    /// Pending transactions.
    pub pool_size: usize,
    /// Dropped messages by cause.
    pub drops: DropCounters,
    /// Other counters.
    pub stats: EngineStats,
    /// Times the SCP core hit its bound on nested state transitions for one input
    /// ([`mcnode_scp::Node::depth_limit_hits`]; never expected in a correct run).
    pub scp_depth_limit_hits: u64,
}

impl Engine {
    /// A snapshot for status pages and metrics.
    pub fn status(&self) -> EngineStatus {
        let info = self.slot_info();
        let sync = if self.catchup_active() {
            SyncStatus::CatchingUp { blocks_behind: self.blocks_behind() }
        } else {
            SyncStatus::Synced
        };
        let peers = self
            .cfg
            .network
            .keys()
            .chain(self.cfg.learn_quorum_sets.iter().filter(|n| !self.cfg.network.contains_key(n)))
            .map(|n| PeerStatus {
                node: *n,
                connected: self.connected.contains(n),
                latest_slot: self.peer_slots.get(n).copied().unwrap_or(0),
            })
            .collect();
        EngineStatus {
            node: self.id,
            tip: self.tip,
            sync,
            slot: self.current_slot(),
            phase: info.as_ref().map(|i| i.phase),
            nomination_round: info.as_ref().map_or(0, |i| i.nomination_round),
            ballot_counter: info.as_ref().and_then(|i| i.ballot.as_ref()).map_or(0, |b| b.counter),
            peers,
            pool_size: self.pool.len(),
            drops: self.drops.clone(),
            stats: self.stats.clone(),
            scp_depth_limit_hits: self.scp.depth_limit_hits(),
        }
    }

    /// This node's latest signed statements for the current slot (the answer to a peer's
    /// `GetLatestMsg`), nomination first.
    pub fn latest_own_messages(&self) -> Vec<Wire> {
        self.own
            .get(&self.current_slot())
            .map(|o| o.nominate.iter().chain(o.ballot.iter()).cloned().collect())
            .unwrap_or_default()
    }

    /// This node's latest own statements for the current slot, unsigned (for `/scp`).
    pub fn own_statements(&self) -> Vec<Statement<TxHashSet>> {
        self.scp.own_statements(self.current_slot())
    }
}
