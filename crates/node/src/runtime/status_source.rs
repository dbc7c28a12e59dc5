//! The runtime's [`StatusSource`] for the admin router (`crate::admin`): fixed facts known at
//! start-up (ids, enclave measurement, quorum set and the network's intersection verdict), a
//! live snapshot the actor refreshes after every batch of engine actions ([`Live`]), and the
//! ledger for `/blocks`. The actor also moves the Prometheus [`Metrics`] here
//! ([`MetricsTracker`]), so `/metrics` and `/info` are computed from the same engine state.
//!
//! Guarantees: handlers never wait for the engine (they read the last published snapshot);
//! `/blocks` reads the ledger under its mutex, at most `admin::blocks::MAX_BLOCKS_PER_PAGE`
//! blocks per call.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use mcnode_ledger::{BlockData, Ledger};
use mcnode_scp::{Phase, QuorumSet, TxHashSet};
use mcnode_types::NodeId;

use crate::admin::{
    ConnectionState, EnclaveStatus, Health, LastBlock, Metrics, NodeStatus, NotServingReason,
    PeerStatus, QuorumSnapshot, ScpStatus, SlotPhase, SlotStatus, SourceError, StatementView,
    StatusSource, SyncStatus,
};
use crate::engine::status::SyncStatus as EngineSync;
use crate::engine::{DropCounters, Engine};

use super::ledger::SharedLedger;

/// What does not change while the node runs.
#[derive(Clone, Debug)]
pub struct Fixed {
    /// This node.
    pub node_id: NodeId,
    /// Its chain.
    pub chain_id: String,
    /// Its enclave.
    pub enclave: EnclaveStatus,
    /// Its quorum set.
    pub quorum_set: QuorumSet,
    /// Configured peers and their addresses.
    pub peers: BTreeMap<NodeId, String>,
}

/// What the actor publishes.
#[derive(Clone, Debug)]
pub struct Live {
    /// `/info` without the counters kept elsewhere.
    pub status: NodeStatus,
    /// `/scp`.
    pub scp: ScpStatus,
    /// Peers with an attested session now.
    pub connected: Vec<NodeId>,
    /// Whether the client API takes transactions.
    pub serving: bool,
    /// Whether the actor published once (the node is running).
    pub started: bool,
    /// Peers' quorum sets as learned so far.
    pub quorum_sets: BTreeMap<NodeId, QuorumSet>,
    /// Intersection of the network as far as the node knows it (`None`: undecided).
    pub intersection: Option<bool>,
}

/// The runtime's status source; cheap to clone.
#[derive(Clone, Debug)]
pub struct RuntimeStatus {
    fixed: Arc<Fixed>,
    live: Arc<RwLock<Live>>,
    ledger: SharedLedger,
    refused: Vec<Arc<AtomicU64>>,
    /// The number of blocks in the ledger, for watchers (the archive publisher).
    blocks: Arc<tokio::sync::watch::Sender<u64>>,
}

/// A short description of a value for people: its size and digest prefix.
pub fn describe(v: &TxHashSet) -> String {
    let d = v.digest().to_string();
    format!("{} tx {}", v.len(), d.get(..16).unwrap_or(&d))
}

fn phase_of(engine: &Engine) -> SlotPhase {
    match engine.slot_info() {
        None => SlotPhase::Idle,
        Some(i) if i.ballot.is_none() => SlotPhase::Nominating,
        Some(i) => match i.phase {
            Phase::Prepare => SlotPhase::Prepare,
            Phase::Confirm => SlotPhase::Confirm,
            Phase::Externalize => SlotPhase::Externalize,
        },
    }
}

impl RuntimeStatus {
    /// A source over `fixed` and `ledger`, starting at block `last`; the sum of `refused`
    /// counts refused peer handshakes (both directions).
    pub fn new(
        fixed: Fixed,
        ledger: SharedLedger,
        last: LastBlock,
        refused: Vec<Arc<AtomicU64>>,
    ) -> RuntimeStatus {
        let next = last.index + 1;
        let status = NodeStatus {
            node_id: fixed.node_id,
            chain_id: fixed.chain_id.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            height: next,
            last_block: Some(last),
            sync: SyncStatus::Synced,
            slot: SlotStatus {
                index: next,
                phase: SlotPhase::Idle,
                nomination_round: 0,
                ballot_counter: 0,
                depth_limit_hits: 0,
            },
            peers: Vec::new(),
            pool_size: 0,
            enclave: fixed.enclave.clone(),
            peers_refused: 0,
            key_images_appended: 0,
        };
        let scp = ScpStatus { slot: next, statements: Vec::new() };
        let intersection = intersection_of(fixed.node_id, &fixed.quorum_set, &BTreeMap::new());
        let live = Live {
            status,
            scp,
            connected: Vec::new(),
            serving: false,
            started: false,
            quorum_sets: BTreeMap::new(),
            intersection,
        };
        let blocks = Arc::new(tokio::sync::watch::channel(next).0);
        RuntimeStatus {
            fixed: Arc::new(fixed),
            live: Arc::new(RwLock::new(live)),
            ledger,
            refused,
            blocks,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Live> {
        self.live.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an appended block (`time`: Unix seconds) with `key_images` spent inputs.
    pub fn block_appended(&self, block: &BlockData, time: u64) {
        let mut l = self.write();
        l.status.last_block =
            Some(LastBlock { index: block.block.index, id: block.block.id.0, time });
        l.status.key_images_appended += block.contents.key_images.len() as u64;
        drop(l);
        self.blocks.send_replace(block.block.index + 1);
    }

    /// The number of blocks in the ledger, updated as blocks are appended.
    pub fn block_count(&self) -> tokio::sync::watch::Receiver<u64> {
        self.blocks.subscribe()
    }

    /// Refreshes the snapshot from `engine`.
    pub fn publish(&self, engine: &Engine) {
        let e = engine.status();
        let connected: Vec<NodeId> = engine.connected_peers().iter().copied().collect();
        let statements =
            engine.latest_statements().iter().map(|s| StatementView::of(s, describe)).collect();
        let peers = self
            .fixed
            .peers
            .iter()
            .map(|(id, address)| PeerStatus {
                node_id: *id,
                address: address.clone(),
                state: if connected.contains(id) {
                    ConnectionState::Connected
                } else {
                    ConnectionState::Disconnected
                },
                latest_slot: engine.peer_slots().get(id).copied(),
            })
            .collect();
        let learned = engine.known_quorum_sets();
        let changed = *learned != self.read().quorum_sets;
        let intersection =
            changed.then(|| intersection_of(self.fixed.node_id, &self.fixed.quorum_set, learned));
        let mut l = self.write();
        if let Some(i) = intersection {
            l.quorum_sets = learned.clone();
            l.intersection = i;
        }
        l.status.height = e.tip.index + 1;
        l.status.sync = match e.sync {
            EngineSync::Synced => SyncStatus::Synced,
            EngineSync::CatchingUp { blocks_behind } => SyncStatus::CatchingUp { blocks_behind },
        };
        l.status.slot = SlotStatus {
            index: e.slot,
            phase: phase_of(engine),
            nomination_round: e.nomination_round,
            ballot_counter: e.ballot_counter,
            depth_limit_hits: e.scp_depth_limit_hits,
        };
        l.status.peers = peers;
        l.status.pool_size = e.pool_size as u64;
        l.scp = ScpStatus { slot: e.slot, statements };
        l.connected = connected;
        l.serving = engine.is_serving();
        l.started = true;
    }

    /// Whether the client API takes transactions.
    pub fn serving(&self) -> bool {
        self.read().serving
    }

    /// Number of blocks.
    pub fn height(&self) -> u64 {
        self.read().status.height
    }
}

impl StatusSource for RuntimeStatus {
    fn node_status(&self) -> NodeStatus {
        let mut s = self.read().status.clone();
        s.peers_refused = self.refused.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        s
    }

    fn quorum(&self) -> QuorumSnapshot {
        QuorumSnapshot {
            node_id: self.fixed.node_id,
            quorum_set: self.fixed.quorum_set.clone(),
            connected: self.read().connected.clone(),
            intersection: self.read().intersection,
        }
    }

    fn scp(&self) -> ScpStatus {
        self.read().scp.clone()
    }

    fn health(&self) -> Health {
        let l = self.read();
        if !l.started {
            return Health::NotServing(NotServingReason::Starting);
        }
        match l.status.sync {
            SyncStatus::CatchingUp { .. } => Health::NotServing(NotServingReason::CatchingUp),
            SyncStatus::Synced if !l.serving => Health::NotServing(NotServingReason::CatchingUp),
            SyncStatus::Synced => Health::Serving,
        }
    }

    fn blocks(&self, from: u64, limit: u64) -> Result<Vec<BlockData>, SourceError> {
        let limit = limit.min(crate::admin::blocks::MAX_BLOCKS_PER_PAGE);
        self.ledger
            .with_now(|l| l.blocks(from, limit))
            .map_err(|e| SourceError { what: format!("ledger read: {e}") })
    }
}

/// Whether the network as this node knows it (its own quorum set and those it holds for its
/// peers) enjoys quorum intersection: `None` while some named node's set is unknown or the
/// search gave up. (Computed again whenever the node learns a quorum set.)
pub fn intersection_of(
    own_id: NodeId,
    own: &QuorumSet,
    network: &BTreeMap<NodeId, QuorumSet>,
) -> Option<bool> {
    let mut nodes: Vec<(NodeId, QuorumSet)> = vec![(own_id, own.clone())];
    nodes.extend(network.iter().map(|(id, q)| (*id, q.clone())));
    match crate::config::network::check(&nodes, None) {
        Ok(r) if r.split.is_some() => Some(false),
        Ok(r) if r.unknown.is_empty() => Some(r.has_quorum),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check the network's quorum intersection");
            None
        }
    }
}

/// Moves the Prometheus metrics from engine snapshots: gauges are set, counters advance by
/// what changed since the last snapshot.
#[derive(Debug)]
pub struct MetricsTracker {
    metrics: Arc<Metrics>,
    drops: DropCounters,
    catchups: u64,
    depth_limit_hits: u64,
    connected: BTreeSet<NodeId>,
    /// The slot being nominated and when this node started on it.
    nominating: Option<(u64, Instant)>,
}

impl MetricsTracker {
    /// A tracker over `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> MetricsTracker {
        MetricsTracker {
            metrics,
            drops: DropCounters::default(),
            catchups: 0,
            depth_limit_hits: 0,
            connected: BTreeSet::new(),
            nominating: None,
        }
    }

    /// Sets the gauges that mirror the status snapshot and the quorum's health (the ones the
    /// alert rules in `ops/alerts.yml` read).
    pub fn observe_status(&self, status: &RuntimeStatus) {
        use crate::admin::{QuorumView, StatusSource as _};
        self.metrics.observe(&status.node_status(), &QuorumView::of(&status.quorum()).health);
    }

    /// Updates every metric from `engine`.
    pub fn observe(&mut self, engine: &Engine) {
        let m = &self.metrics;
        let e = engine.status();
        let phase = phase_of(engine);
        m.pending_values.set(e.pool_size as i64);
        m.current_slot.set(i64::try_from(e.slot).unwrap_or(i64::MAX));
        m.slot_phase.set(phase.gauge());
        m.ballot_counter.set(i64::from(e.ballot_counter));
        for (cause, n) in e.drops.iter() {
            let before = self.drops.get(cause);
            if n > before {
                m.messages_dropped
                    .get_or_create(&crate::admin::metrics::CauseLabel {
                        cause: cause.label().to_owned(),
                    })
                    .inc_by(n - before);
            }
        }
        self.drops = e.drops;
        if e.stats.catchups > self.catchups {
            m.catchups.inc_by(e.stats.catchups - self.catchups);
            self.catchups = e.stats.catchups;
        }
        if e.scp_depth_limit_hits > self.depth_limit_hits {
            m.scp_depth_limit_hits.inc_by(e.scp_depth_limit_hits - self.depth_limit_hits);
            self.depth_limit_hits = e.scp_depth_limit_hits;
        }
        let now: BTreeSet<NodeId> = engine.connected_peers().clone();
        m.peer_connects.inc_by(now.difference(&self.connected).count() as u64);
        m.peer_disconnects.inc_by(self.connected.difference(&now).count() as u64);
        m.peer_connections.set(now.len() as i64);
        self.connected = now;
        if phase != SlotPhase::Idle && self.nominating.is_none_or(|(s, _)| s != e.slot) {
            self.nominating = Some((e.slot, Instant::now()));
        }
    }

    /// A block for `slot` was formed from an agreed value: observes the time since this node
    /// started on the slot.
    pub fn externalized(&mut self, slot: u64) {
        if let Some((s, t)) = self.nominating
            && s == slot
        {
            self.metrics.externalize_seconds.observe(t.elapsed().as_secs_f64());
            self.nominating = None;
        }
    }
}
