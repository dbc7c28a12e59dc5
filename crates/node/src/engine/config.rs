//! What the engine is told at start: identity, network, and the tunables of pool, cadence,
//! rebroadcast and catch-up.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mcnode_crypto::SigningIdentity;
use mcnode_scp::{QuorumSet, ScpConfig};
use mcnode_types::NodeId;

use super::envelope::MAX_CHAIN_ID_LEN;
use super::pool::DEFAULT_POOL_CAPACITY;

/// MobileCoin nominates at most 100 pending values per slot.
pub const DEFAULT_MAX_VALUES_PER_SLOT: usize = 100;

/// The engine's configuration. `Debug` never shows the message key (it is redacted).
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The network's chain id (bound into every signed message).
    pub chain_id: String,
    /// The node's Ed25519 message key; its public key is the node id.
    pub message_key: SigningIdentity,
    /// The node's quorum set.
    pub quorum_set: QuorumSet,
    /// The known network: every other validator this node knows, with its quorum set
    /// (used by SCP and by the catch-up rule). Statements of other nodes are relayed only.
    pub network: BTreeMap<NodeId, QuorumSet>,
    /// Further validators of the known network whose quorum sets are not given: learned from
    /// the hashes their signed statements name, fetched from peers ([`super::qsets`]).
    pub learn_quorum_sets: BTreeSet<NodeId>,
    /// SCP timeouts.
    pub scp: ScpConfig,
    /// Nominate pending transactions once this long has passed since the last block.
    pub block_interval: Duration,
    /// Most pending transactions (`OverCapacity` past it).
    pub pool_capacity: usize,
    /// Most transactions per block; a pool this full nominates at once.
    pub max_values_per_slot: usize,
    /// While a slot makes no progress, re-broadcast the latest own statements this often.
    pub rebroadcast_interval: Duration,
    /// How long peers must look ahead before the node declares itself behind (MobileCoin
    /// `IS_BEHIND_GRACE_PERIOD`, 10 s), and how long a block fetch may take before it is retried.
    pub catchup_grace: Duration,
    /// Most blocks asked for in one `FetchBlocks` (MobileCoin syncs 100 per attempt).
    pub max_blocks_per_fetch: u64,
    /// Ask again for transaction bodies after this long.
    pub fetch_retry: Duration,
}

impl EngineConfig {
    /// Defaults for everything but identity and network: 5 s block interval, a pool of 500,
    /// 100 values per slot, re-broadcast every 2 s, 10 s catch-up grace.
    pub fn new(
        chain_id: impl Into<String>,
        message_key: SigningIdentity,
        quorum_set: QuorumSet,
        network: BTreeMap<NodeId, QuorumSet>,
    ) -> Self {
        EngineConfig {
            chain_id: chain_id.into(),
            message_key,
            quorum_set,
            network,
            learn_quorum_sets: BTreeSet::new(),
            scp: ScpConfig::default(),
            block_interval: Duration::from_secs(5),
            pool_capacity: DEFAULT_POOL_CAPACITY,
            max_values_per_slot: DEFAULT_MAX_VALUES_PER_SLOT,
            rebroadcast_interval: Duration::from_secs(2),
            catchup_grace: Duration::from_secs(10),
            max_blocks_per_fetch: 100,
            fetch_retry: Duration::from_secs(2),
        }
    }

    /// Checks the values the engine cannot work with: a chain id peers could not decode, a
    /// block size of zero or above what a value may hold, an empty pool, and zero periods
    /// (a timer re-armed at `now` would spin).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, reason| Err(ConfigError { field, reason });
        if self.chain_id.is_empty() || self.chain_id.len() > MAX_CHAIN_ID_LEN as usize {
            return bad("chain_id", "must be 1 to 64 bytes");
        }
        if self.max_values_per_slot == 0
            || self.max_values_per_slot > mcnode_scp::MAX_TX_HASHES as usize
        {
            return bad("max_values_per_slot", "must be 1 to 65536");
        }
        if self.pool_capacity == 0 {
            return bad("pool_capacity", "must be at least 1");
        }
        if self.max_blocks_per_fetch == 0 {
            return bad("max_blocks_per_fetch", "must be at least 1");
        }
        let periods = [
            ("rebroadcast_interval", self.rebroadcast_interval),
            ("catchup_grace", self.catchup_grace),
            ("fetch_retry", self.fetch_retry),
        ];
        for (field, d) in periods {
            if d.as_millis() == 0 {
                return bad(field, "must be at least 1 ms");
            }
        }
        // The SCP timers: a zero or absurd timeout is refused here, before the core runs.
        self.scp.validate().map_err(|e| ConfigError { field: e.field, reason: e.reason })
    }

    /// The node id: the public half of the message key.
    pub fn node_id(&self) -> NodeId {
        NodeId(self.message_key.verifying().to_bytes())
    }
}

/// A configuration value the engine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("engine config field {field}: {reason}")]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_scp_timeouts_are_refused() {
        let key = SigningIdentity::from_seed(&[1; 32]);
        let me = NodeId(key.verifying().to_bytes());
        let mut cfg = EngineConfig::new("chain", key, QuorumSet::singleton(me), BTreeMap::new());
        assert_eq!(cfg.validate(), Ok(()));
        cfg.scp.ballot_timeout_base = Duration::ZERO;
        assert_eq!(cfg.validate().map_err(|e| e.field), Err("ballot_timeout_base"));
    }
}
