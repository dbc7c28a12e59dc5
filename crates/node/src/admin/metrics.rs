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
    /// Proposed transactions by result code.
    pub tx_results: Family<CodeLabel, Counter>,
    /// Messages dropped, by cause.
    pub messages_dropped: Family<CauseLabel, Counter>,
    /// Peer handshakes refused, by cause.
    pub peers_refused: Family<CauseLabel, Counter>,
    /// Catch-ups started.
    pub catchups: Counter,
    /// Peers connected now.
    pub peer_connections: Gauge,
    /// Peer connections established since start.
    pub peer_connects: Counter,
    /// Peer connections lost since start.
    pub peer_disconnects: Counter,
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
            tx_results: Family::default(),
            messages_dropped: Family::default(),
            peers_refused: Family::default(),
            catchups: Counter::default(),
            peer_connections: Gauge::default(),
            peer_connects: Counter::default(),
            peer_disconnects: Counter::default(),
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
        registry.register("peer_connections", "Peers connected now", m.peer_connections.clone());
        registry.register("peer_connects", "Peer connections established", m.peer_connects.clone());
        registry.register("peer_disconnects", "Peer connections lost", m.peer_disconnects.clone());
        Metrics { registry, ..m }
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

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
