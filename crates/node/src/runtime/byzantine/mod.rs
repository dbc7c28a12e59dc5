//! The Byzantine test node (`[byzantine]` in the configuration; docs/node.md, "Byzantine test
//! node"): one node of a real network that lies on the wire with its real keys, so process
//! tests (issue 14) can show that honest nodes keep agreeing and that the lies reached them.
//!
//! Only a binary built with the `byzantine` cargo feature acts on it; without the feature
//! [`Hook`] is an empty pass-through and the configuration refuses the section
//! ([`crate::config::ConfigError::ByzantineNotBuilt`]). `mcnode-cli`'s dev-dependencies
//! enable the feature, so the `mcnode` binary its tests run has it; release builds do not.
//!
//! The runtime calls the hook on every path a lie can take: each consensus message it sends
//! ([`Hook::send`]), transaction relays, received messages ([`Hook::observe_incoming`]), and
//! its answers to `GetLatestMsg`, `GetBlocks` and `GetTxs`. Every build with the feature also
//! runs the conflict witness (`witness`), so honest nodes of a test count the equivocations
//! that reached them (`byzantine_conflicts_seen_total`).

#[cfg(feature = "byzantine")]
pub mod liar;
#[cfg(feature = "byzantine")]
pub mod lies;
#[cfg(feature = "byzantine")]
mod tasks;
#[cfg(feature = "byzantine")]
pub mod witness;

use std::collections::BTreeSet;

use mcnode_api::pb::common::v1 as pb;
use mcnode_crypto::SigningIdentity;
use mcnode_types::NodeId;
use tokio::sync::watch;

use super::peers::{Outgoing, Peers};
use crate::admin::Metrics;
use crate::config::ByzantineConfig;
use crate::engine::Wire;

/// The runtime's hook into the Byzantine test node; honest (and empty) unless built with the
/// `byzantine` feature and configured with `[byzantine]`. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Hook {
    #[cfg(feature = "byzantine")]
    liar: Option<std::sync::Arc<liar::Liar>>,
    #[cfg(feature = "byzantine")]
    witness: std::sync::Arc<witness::Witness>,
}

/// The position of `peer` among the configured peers in node id order (0 when unknown).
pub fn position(known: &BTreeSet<NodeId>, peer: Option<NodeId>) -> usize {
    peer.and_then(|p| known.iter().position(|k| *k == p)).unwrap_or(0)
}

impl Hook {
    /// The hook of a node configured with `cfg`, signing lies with `key`; registers the
    /// feature's metrics (`byzantine_sent_total{kind}`, `byzantine_conflicts_seen_total`).
    #[cfg(feature = "byzantine")]
    pub fn new(
        cfg: Option<&ByzantineConfig>,
        key: &SigningIdentity,
        metrics: &mut Metrics,
    ) -> Hook {
        use std::sync::Arc;
        let liar = cfg.map(|c| Arc::new(liar::Liar::new(c.behaviour, c.rate_per_sec, key.clone())));
        let witness = Arc::new(witness::Witness::default());
        let r = metrics.registry_mut();
        r.register(
            "byzantine_conflicts_seen",
            "Conflicting validly signed statements of one signer and slot received",
            witness.conflicts.clone(),
        );
        if let Some(l) = &liar {
            r.register(
                "byzantine_sent",
                "Messages this Byzantine test node sent or answered, by kind of lie",
                l.sent.clone(),
            );
        }
        Hook { liar, witness }
    }

    /// The honest hook (this build has no `byzantine` feature; the configuration refuses
    /// `[byzantine]`).
    #[cfg(not(feature = "byzantine"))]
    pub fn new(
        _cfg: Option<&ByzantineConfig>,
        _key: &SigningIdentity,
        _metrics: &mut Metrics,
    ) -> Hook {
        Hook {}
    }

    /// Starts the liar's own timeline (flood, periodic replays), if any.
    #[cfg_attr(not(feature = "byzantine"), allow(unused_variables))]
    pub fn start(&self, chain_id: &str, peers: &Peers, stop: watch::Receiver<bool>) {
        #[cfg(feature = "byzantine")]
        if let Some(l) = &self.liar {
            tasks::spawn(l.clone(), chain_id.to_owned(), peers.clone(), stop);
        }
    }

    /// Sends the engine's consensus message `msg` to `to` (or what the liar sends instead).
    pub fn send(&self, peers: &Peers, to: &NodeId, msg: Wire) {
        #[cfg(feature = "byzantine")]
        if let Some(l) = &self.liar {
            let i = peers.ids().position(|p| p == *to).unwrap_or(0);
            for w in l.outgoing(i, msg) {
                peers.send(to, Outgoing::Msg(w));
            }
            return;
        }
        peers.send(to, Outgoing::Msg(msg));
    }

    /// Whether this node relays transactions (a silent node does not).
    pub fn relays_txs(&self) -> bool {
        #[cfg(feature = "byzantine")]
        if let Some(l) = &self.liar {
            return l.behaviour != crate::config::ByzantineBehaviour::Silent;
        }
        true
    }

    /// Whether this node answers requests for transaction bodies (a silent node does not).
    pub fn answers_txs(&self) -> bool {
        self.relays_txs()
    }

    /// A consensus message a peer sent (the witness counts conflicts; a replaying node keeps
    /// it).
    #[cfg_attr(not(feature = "byzantine"), allow(unused_variables))]
    pub fn observe_incoming(&self, bytes: &[u8]) {
        #[cfg(feature = "byzantine")]
        {
            self.witness.observe(bytes);
            if let Some(l) = &self.liar {
                l.observe_incoming(bytes);
            }
        }
    }

    /// The `GetLatestMsg` answer to the peer at `index` instead of `msgs`.
    #[cfg_attr(not(feature = "byzantine"), allow(unused_variables))]
    pub fn latest_answer(&self, index: usize, msgs: Vec<Wire>) -> Vec<Wire> {
        #[cfg(feature = "byzantine")]
        if let Some(l) = &self.liar {
            return l.latest_answer(index, msgs);
        }
        msgs
    }

    /// Whether the `GetBlocks` answer should be computed from the origin block on (a
    /// replaying node answers with stale blocks).
    pub fn wants_stale_blocks(&self) -> bool {
        #[cfg(feature = "byzantine")]
        if let Some(l) = &self.liar {
            return l.behaviour == crate::config::ByzantineBehaviour::Replay;
        }
        false
    }

    /// The `GetBlocks` answer to the peer at `index` instead of `resp` (`stale`: the answer
    /// from the origin block on, when [`Hook::wants_stale_blocks`]).
    #[cfg_attr(not(feature = "byzantine"), allow(unused_variables))]
    pub fn blocks_answer(
        &self,
        index: usize,
        resp: pb::GetBlocksResponse,
        stale: Option<pb::GetBlocksResponse>,
    ) -> pb::GetBlocksResponse {
        #[cfg(feature = "byzantine")]
        if let Some(l) = &self.liar {
            return l.blocks_answer(index, resp, stale);
        }
        resp
    }
}
