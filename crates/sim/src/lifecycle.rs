//! Building, crashing and restarting a simulated node's engine, and its peer connections.
//!
//! - **Start**: every node's engine is built with [`Engine::with_auth`] on the origin block,
//!   connected to its overlay neighbors and told every peer's block-signing key (what the
//!   attested handshake gives a real node).
//! - **Crash**: the engine is dropped with its pool, its dedup memory and its timers; the ledger
//!   of signed blocks and the last persisted statements survive. Neighbors see the connection
//!   close.
//! - **Restart**: a new engine on the ledger tip restores the persisted statements (as
//!   [`Engine::new`] does after a real restart); the reconnection makes each side send the
//!   other its latest statements, and the engine's catch-up fetches any blocks it missed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use mcnode_crypto::SigningIdentity;
use mcnode_node::engine::{Engine, EngineConfig, Input, Tip};
use mcnode_scp::{ScpConfig, Time};
use mcnode_types::NodeId;

use crate::enclave::SIM_CHAIN_ID;
use crate::engine::Sim;

impl Sim {
    /// The engine configuration of node `i`, from the scenario.
    fn engine_config(&self, i: usize) -> EngineConfig {
        let cfg = &self.cfg;
        let spec = &cfg.topology.nodes[i];
        let network: BTreeMap<NodeId, _> = cfg
            .topology
            .nodes
            .iter()
            .filter(|s| s.id != spec.id)
            .map(|s| (s.id, s.qset.clone()))
            .collect();
        // The message key is unused: the simulation authenticator signs (see `enclave`).
        let mut c =
            EngineConfig::new(SIM_CHAIN_ID, self.unused_key.clone(), spec.qset.clone(), network);
        let ms = Duration::from_millis;
        c.scp = ScpConfig {
            nomination_timeout_base: ms(cfg.timeout_base_ms),
            nomination_timeout_increment: ms(cfg.timeout_increment_ms),
            ballot_timeout_base: ms(cfg.timeout_base_ms),
            ballot_timeout_increment: ms(cfg.timeout_increment_ms),
            ..ScpConfig::default()
        };
        c.block_interval = ms(cfg.block_interval_ms);
        c.max_values_per_slot = cfg.max_values_per_slot;
        // The workload is submitted at once to every node in many scenarios; the pool must
        // hold it (the pool's limit has its own engine tests).
        c.pool_capacity = c.pool_capacity.max(cfg.values as usize);
        let hi = cfg.latency_ms.1;
        c.rebroadcast_interval = ms(self.rebroadcast_ms);
        c.catchup_grace = ms(self.catchup_ms);
        c.fetch_retry = ms(1000 + 4 * hi);
        c
    }

    /// Builds (or rebuilds after a crash) node `i`'s engine on its ledger tip and connects it.
    pub(crate) fn start_engine(&mut self, i: usize) {
        let cfg = self.engine_config(i);
        let n = &self.nodes[i];
        let last = &n.blocks[n.blocks.len() - 1].block;
        let tip = Tip { index: last.index, id: last.id };
        let auth: Arc<dyn mcnode_node::engine::MessageAuth> = n.auth.clone();
        let persisted = n.persisted.clone();
        match Engine::with_auth(cfg, auth, tip, persisted, Time(self.now)) {
            Ok(e) => self.nodes[i].engine = Some(e),
            Err(e) => {
                // Topologies are validated when loaded; say so rather than panic if not.
                let label = self.nodes[i].label.clone();
                self.note(format!("{label} cannot start: {e}"));
                return;
            }
        }
        let attest: Vec<(NodeId, NodeId)> =
            self.nodes.iter().map(|n| (n.id, NodeId(n.block_key.verifying().to_bytes()))).collect();
        if let Some(e) = self.nodes[i].engine.as_mut() {
            for (node, block_signer) in attest {
                let _ = e.handle(Time(self.now), Input::PeerAttested { node, block_signer });
            }
        }
    }

    /// Opens the connections of node `i` to its running neighbors, both ways.
    pub(crate) fn connect(&mut self, i: usize) {
        let me = self.nodes[i].id;
        for k in 0..self.neighbors[i].len() {
            let j = self.neighbors[i][k];
            if !self.nodes[j].up {
                continue;
            }
            let peer = self.nodes[j].id;
            self.input(i, Input::PeerConnected(peer));
            self.input(j, Input::PeerConnected(me));
            self.on_connection_lies(i, j);
        }
        self.pump(i);
    }

    pub(crate) fn crash(&mut self, i: usize) {
        if !self.nodes[i].up {
            return;
        }
        let n = &mut self.nodes[i];
        n.up = false;
        n.epoch += 1;
        n.wake_at = None;
        n.catchup_from = None;
        n.known_tx.clear();
        let honest = n.behaviour.is_none();
        if let Some(e) = n.engine.take()
            && honest
        {
            self.retired_drops.push(e.drops().clone());
        }
        let me = self.nodes[i].id;
        for k in 0..self.neighbors[i].len() {
            let j = self.neighbors[i][k];
            self.input(j, Input::PeerDisconnected(me));
        }
        let n = &self.nodes[i];
        let text = format!(
            "{} crashed (it keeps its ledger of {} slots and its last SCP messages on disk)",
            n.label,
            n.ledger.len()
        );
        self.check_done = true;
        let q = self.quorum_sentence();
        self.note(format!("{text}; {q}"));
    }

    pub(crate) fn restart(&mut self, i: usize) {
        if self.nodes[i].up {
            return;
        }
        let n = &mut self.nodes[i];
        n.up = true;
        n.epoch += 1;
        let cur = n.current();
        let restored = n.persisted.iter().any(|s| s.slot == cur);
        let what = if restored {
            format!("it restored its own last SCP messages for slot {cur}")
        } else {
            "it had no unfinished slot to restore".to_string()
        };
        let text = format!(
            "{} restarted with {} slots in its ledger; {what}, and reconnects to its peers",
            n.label,
            n.ledger.len()
        );
        self.note(text);
        self.start_engine(i);
        self.connect(i);
        self.check_done = true;
    }
}

/// A fixed key for the engine configuration's unused message-key field.
pub(crate) fn unused_key() -> SigningIdentity {
    SigningIdentity::from_seed(&[0; 32])
}
