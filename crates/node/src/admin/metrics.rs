//! The node's Prometheus metrics ([`Metrics`]), served at `GET /metrics` in the OpenMetrics
//! text format. One registry per node (no globals), so tests and several in-process nodes do
//! not share counters. Every metric is prefixed `mcnode_`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use mcnode_api::ProposeTxResult;

use super::quorum::QuorumHealth;
use super::status::{ConnectionState, NodeStatus, SyncStatus};

/// Label of a transaction result.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    /// The result code's name (`ok`, `fee_too_low`, ...).
    pub code: String,
}

/// Label of a dropped message.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CauseLabel {
    /// Why it was dropped (`unsigned`, `bad_signature`, `other_chain`, `stale`, `malformed`,
    /// `oversized`, `rate_limited`, ...).
    pub cause: String,
}

/// Every metric the node exports.
pub struct Metrics {
    registry: Registry,
    /// Transactions in the pool.
    pub pending_values: Gauge,
    /// Current slot.
    pub current_slot: Gauge,
    /// Phase of the current slot (0 idle, 1 nominating, 2 prepare, 3 confirm, 4 externalize).
    pub slot_phase: Gauge,
    /// Ballot counter of the current slot.
    pub ballot_counter: Gauge,
    /// Seconds from nomination start to externalize, per slot.
    pub externalize_seconds: Histogram,
    /// Seconds the enclave took to validate one transaction.
    pub validation_seconds: Histogram,
    /// Transactions the enclave checked for admission (clients', relayed and fetched copies).
    pub tx_checks: Counter,
    /// Enclave calls that made those checks (checks / calls: the mean batch).
    pub tx_check_calls: Counter,
    /// Copies of transactions admitted without a check because the pool held them already.
    pub tx_copies_skipped: Counter,
    /// Proposed transactions by result code.
    pub tx_results: Family<CodeLabel, Counter>,
    /// Messages dropped, by cause.
    pub messages_dropped: Family<CauseLabel, Counter>,
    /// Peer handshakes refused, by cause.
    pub peers_refused: Family<CauseLabel, Counter>,
    /// Catch-ups started.
    pub catchups: Counter,
    /// Times the SCP core hit its bound on nested state transitions (never expected).
    pub scp_depth_limit_hits: Counter,
    /// Peers connected now.
    pub peer_connections: Gauge,
    /// Peer connections established since start.
    pub peer_connects: Counter,
    /// Peer connections lost since start.
    pub peer_disconnects: Counter,
    /// Blocks in the ledger.
    pub ledger_height: Gauge,
    /// Unix seconds when this node appended its last block (0: none since start).
    pub last_block_time_seconds: Gauge,
    /// 1 while catching up with the network, else 0.
    pub catching_up: Gauge,
    /// Blocks this node knows it is behind by.
    pub blocks_behind: Gauge,
    /// 1 while this node and its connected peers satisfy one of its quorum slices, else 0.
    pub quorum_slice_satisfied: Gauge,
    /// Peers in the configuration.
    pub peers_configured: Gauge,
    /// Most transactions the pool holds.
    pub pool_capacity: Gauge,
    /// Unix seconds when this process started (a change means the node restarted).
    pub start_time_seconds: Gauge,
    /// Enclave restarts since the node started.
    pub enclave_restarts: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mcnode");
        let m = Metrics {
            registry: Registry::default(),
            pending_values: Gauge::default(),
            current_slot: Gauge::default(),
            slot_phase: Gauge::default(),
            ballot_counter: Gauge::default(),
            // 10 ms .. ~82 s.
            externalize_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            // 0.1 ms .. ~0.8 s.
            validation_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 14)),
            tx_checks: Counter::default(),
            tx_check_calls: Counter::default(),
            tx_copies_skipped: Counter::default(),
            tx_results: Family::default(),
            messages_dropped: Family::default(),
            peers_refused: Family::default(),
            catchups: Counter::default(),
            scp_depth_limit_hits: Counter::default(),
            peer_connections: Gauge::default(),
            peer_connects: Counter::default(),
            peer_disconnects: Counter::default(),
            ledger_height: Gauge::default(),
            last_block_time_seconds: Gauge::default(),
            catching_up: Gauge::default(),
            blocks_behind: Gauge::default(),
            quorum_slice_satisfied: Gauge::default(),
            peers_configured: Gauge::default(),
            pool_capacity: Gauge::default(),
            start_time_seconds: Gauge::default(),
            enclave_restarts: Counter::default(),
        };
        registry.register("pending_values", "Transactions in the pool", m.pending_values.clone());
        registry.register("current_slot", "Slot being decided", m.current_slot.clone());
        registry.register(
            "slot_phase",
            "Phase of the current slot (0 idle, 1 nominating, 2 prepare, 3 confirm, 4 externalize)",
            m.slot_phase.clone(),
        );
        registry.register(
            "ballot_counter",
            "Ballot counter of the current slot",
            m.ballot_counter.clone(),
        );
        registry.register(
            "externalize_seconds",
            "Seconds from nomination start to externalize",
            m.externalize_seconds.clone(),
        );
        registry.register(
            "validation_seconds",
            "Seconds the enclave took to validate one transaction",
            m.validation_seconds.clone(),
        );
        registry.register(
            "tx_checks",
            "Transactions the enclave checked for admission (from clients, relays and fetches)",
            m.tx_checks.clone(),
        );
        registry.register(
            "tx_check_calls",
            "Enclave calls that made the admission checks (checks per call: the mean batch)",
            m.tx_check_calls.clone(),
        );
        registry.register(
            "tx_copies_skipped",
            "Copies of a transaction not checked again because the pool held it already",
            m.tx_copies_skipped.clone(),
        );
        registry.register(
            "tx_results",
            "Proposed transactions by result code",
            m.tx_results.clone(),
        );
        registry.register(
            "messages_dropped",
            "Messages dropped, by cause",
            m.messages_dropped.clone(),
        );
        registry.register(
            "peers_refused",
            "Peer handshakes refused, by cause",
            m.peers_refused.clone(),
        );
        registry.register("catchups", "Catch-ups started", m.catchups.clone());
        registry.register(
            "scp_depth_limit_hits",
            "Times one input hit the SCP core's bound on nested state transitions (never expected)",
            m.scp_depth_limit_hits.clone(),
        );
        registry.register("peer_connections", "Peers connected now", m.peer_connections.clone());
        registry.register("peer_connects", "Peer connections established", m.peer_connects.clone());
        registry.register("peer_disconnects", "Peer connections lost", m.peer_disconnects.clone());
        registry.register("ledger_height", "Blocks in the ledger", m.ledger_height.clone());
        registry.register(
            "last_block_time_seconds",
            "Unix seconds when this node appended its last block (0: none since start)",
            m.last_block_time_seconds.clone(),
        );
        registry.register(
            "catching_up",
            "1 while catching up with the network",
            m.catching_up.clone(),
        );
        registry.register("blocks_behind", "Blocks behind the network", m.blocks_behind.clone());
        registry.register(
            "quorum_slice_satisfied",
            "1 while this node and its connected peers satisfy one of its quorum slices",
            m.quorum_slice_satisfied.clone(),
        );
        registry.register(
            "peers_configured",
            "Peers in the configuration",
            m.peers_configured.clone(),
        );
        registry.register(
            "pool_capacity",
            "Most transactions the pool holds",
            m.pool_capacity.clone(),
        );
        registry.register(
            "start_time_seconds",
            "Unix seconds when this process started",
            m.start_time_seconds.clone(),
        );
        registry.register(
            "enclave_restarts",
            "Enclave restarts since the node started",
            m.enclave_restarts.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The registry, for metrics a build adds (the `byzantine` feature's counters).
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Counts one transaction result.
    pub fn record_tx_result(&self, result: ProposeTxResult) {
        self.tx_results
            .get_or_create(&CodeLabel { code: result.name().to_ascii_lowercase() })
            .inc();
    }

    /// Counts one dropped message.
    pub fn record_dropped(&self, cause: &str) {
        self.messages_dropped.get_or_create(&CauseLabel { cause: cause.to_owned() }).inc();
    }

    /// Counts one refused peer handshake.
    pub fn record_peer_refused(&self, cause: &str) {
        self.peers_refused.get_or_create(&CauseLabel { cause: cause.to_owned() }).inc();
    }

    /// Sets the gauges that mirror the status snapshots (call after each refresh).
    pub fn observe(&self, status: &NodeStatus, quorum: &QuorumHealth) {
        let g = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.ledger_height.set(g(status.height));
        self.last_block_time_seconds.set(status.last_block.as_ref().map_or(0, |b| g(b.time)));
        let behind = match status.sync {
            SyncStatus::Synced => 0,
            SyncStatus::CatchingUp { blocks_behind } => blocks_behind,
        };
        self.catching_up.set(i64::from(!matches!(status.sync, SyncStatus::Synced)));
        self.blocks_behind.set(g(behind));
        self.quorum_slice_satisfied.set(i64::from(quorum.slice_satisfied));
        self.peers_configured.set(g(status.peers.len() as u64));
        self.peer_connections.set(g(status
            .peers
            .iter()
            .filter(|p| p.state == ConnectionState::Connected)
            .count() as u64));
        self.pending_values.set(g(status.pool_size));
        self.current_slot.set(g(status.slot.index));
        self.slot_phase.set(status.slot.phase.gauge());
        self.ballot_counter.set(i64::from(status.slot.ballot_counter));
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use mcnode_types::{Hash32, NodeId};

    use super::*;
    use crate::admin::status::{EnclaveStatus, LastBlock, PeerStatus, SlotPhase, SlotStatus};

    fn status(sync: SyncStatus, connected: usize) -> NodeStatus {
        NodeStatus {
            node_id: NodeId([0; 32]),
            chain_id: "local".into(),
            version: "0".into(),
            height: 7,
            last_block: Some(LastBlock { index: 6, id: Hash32([1; 32]), time: 1_700_000_000 }),
            sync,
            slot: SlotStatus {
                index: 7,
                phase: SlotPhase::Confirm,
                nomination_round: 1,
                ballot_counter: 2,
                depth_limit_hits: 0,
            },
            peers: (1..=3u8)
                .map(|b| PeerStatus {
                    node_id: NodeId([b; 32]),
                    address: String::new(),
                    state: if usize::from(b) <= connected {
                        ConnectionState::Connected
                    } else {
                        ConnectionState::Disconnected
                    },
                    latest_slot: None,
                })
                .collect(),
            pool_size: 4,
            enclave: EnclaveStatus { measurement: Hash32([2; 32]), simulated: true },
            peers_refused: 0,
            key_images_appended: 0,
        }
    }

    fn health(slice_satisfied: bool) -> QuorumHealth {
        QuorumHealth {
            slice_satisfied,
            connected: vec![],
            disconnected: vec![],
            disconnected_v_blocking: !slice_satisfied,
            intersection: None,
        }
    }

    #[test]
    fn observe_sets_the_gauges_the_alert_rules_read() {
        let m = Metrics::new();
        m.observe(&status(SyncStatus::CatchingUp { blocks_behind: 12 }, 1), &health(false));
        let text = m.encode().unwrap();
        for line in [
            "mcnode_ledger_height 7",
            "mcnode_last_block_time_seconds 1700000000",
            "mcnode_catching_up 1",
            "mcnode_blocks_behind 12",
            "mcnode_quorum_slice_satisfied 0",
            "mcnode_peers_configured 3",
            "mcnode_peer_connections 1",
            "mcnode_pending_values 4",
            "mcnode_slot_phase 3",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        m.observe(&status(SyncStatus::Synced, 3), &health(true));
        let text = m.encode().unwrap();
        for line in
            ["mcnode_catching_up 0", "mcnode_quorum_slice_satisfied 1", "mcnode_blocks_behind 0"]
        {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
    }
}
