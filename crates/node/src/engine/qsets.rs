//! Learning the quorum sets of peers from their own signed statements, as stellar-core does
//! (`PendingEnvelopes`, GET_SCP_QUORUMSET): every statement names the hash of its sender's
//! quorum set; a node that does not know a set with that hash asks the peer that sent the
//! statement for it ([`Action::FetchQuorumSet`]) and parks the statement until the answer
//! comes back ([`Input::QuorumSet`]). An answer is used only if the set hashes to a hash some
//! signed statement named and this node asked for, so a peer cannot make a node adopt a
//! quorum set its owner did not sign for.
//!
//! A node's quorum set as this node knows it ([`Engine::quorum_set_of`]) is the set named by
//! its latest statement seen with a known hash; the catch-up rule uses it. Validators listed
//! in [`EngineConfig::learn_quorum_sets`](super::EngineConfig) start with none; those in
//! [`EngineConfig::network`](super::EngineConfig) start with the set given.

use std::collections::BTreeMap;

use mcnode_scp::{QuorumSet, Time};
use mcnode_types::{Hash32, NodeId};

use super::Engine;
use super::envelope::ScpEnvelope;
use super::io::{Action, InputError};

/// Most quorum-set hashes asked for at once (older requests are forgotten past it).
pub const MAX_WANTED_QUORUM_SETS: usize = 256;

/// A requested quorum set: when it was last asked for, and the nodes whose statements
/// named it.
#[derive(Clone, Debug, Default)]
pub(super) struct Wanted {
    asked_at: Option<Time>,
    nodes: Vec<NodeId>,
}

impl Engine {
    /// `node`'s quorum set as this node knows it.
    pub fn quorum_set_of(&self, node: &NodeId) -> Option<&QuorumSet> {
        if *node == self.id { Some(&self.cfg.quorum_set) } else { self.qsets.get(node) }
    }

    /// The quorum sets of other nodes as this node knows them.
    pub fn known_quorum_sets(&self) -> &BTreeMap<NodeId, QuorumSet> {
        &self.qsets
    }

    /// A quorum set this node knows by its hash (its own, given ones, learned ones), to answer
    /// a peer's `GetQuorumSet`.
    pub fn quorum_set_by_hash(&self, hash: &Hash32) -> Option<&QuorumSet> {
        self.scp.quorum_set_by_hash(hash)
    }

    /// Whether `node` belongs to the known network (its statements are processed).
    pub(super) fn is_member(&self, node: &NodeId) -> bool {
        self.cfg.network.contains_key(node) || self.cfg.learn_quorum_sets.contains(node)
    }

    /// Notes the quorum set `env`'s (verified) sender names: records it if known, else asks
    /// `from` for it. Returns whether it is known.
    pub(super) fn note_quorum_set(&mut self, now: Time, from: NodeId, env: &ScpEnvelope) -> bool {
        let (sender, hash) = (env.statement.node_id, env.statement.quorum_set_hash);
        if let Some(q) = self.scp.quorum_set_by_hash(&hash) {
            let q = q.clone();
            self.qsets.insert(sender, q);
            return true;
        }
        let retry = self.cfg.fetch_retry;
        let w = self.wanted_qsets.entry(hash).or_default();
        if !w.nodes.contains(&sender) {
            w.nodes.push(sender);
        }
        // Asked before and not answered within the retry period: ask this peer.
        if w.asked_at.is_none_or(|t| now >= t.saturating_add(retry)) {
            w.asked_at = Some(now);
            // The signer surely knows its own set; a relaying peer may not yet.
            let from = if self.connected.contains(&sender) { sender } else { from };
            self.actions.push_back(Action::FetchQuorumSet { from, hash });
        }
        while self.wanted_qsets.len() > MAX_WANTED_QUORUM_SETS {
            let oldest = self.wanted_qsets.iter().min_by_key(|(_, w)| w.asked_at).map(|(h, _)| *h);
            if let Some(h) = oldest {
                self.wanted_qsets.remove(&h);
            }
        }
        false
    }

    /// A peer answered a quorum-set request: adopt the set if its hash was asked for, then
    /// hand the statements that waited for it to SCP.
    pub(super) fn on_quorum_set(&mut self, now: Time, q: QuorumSet) -> Result<(), InputError> {
        let hash = q.hash();
        let Some(w) = self.wanted_qsets.remove(&hash) else {
            return Err(InputError::UnrequestedQuorumSet { hash });
        };
        self.scp
            .add_quorum_set(q.clone())
            .map_err(|e| InputError::BadQuorumSet { hash, reason: e.to_string() })?;
        for n in w.nodes {
            self.qsets.insert(n, q.clone());
        }
        let parked = std::mem::take(&mut self.qset_waiting);
        let current = self.current_slot();
        for (from, env) in parked {
            if env.statement.quorum_set_hash != hash {
                self.qset_waiting.push((from, env));
            } else if env.statement.slot == current && env.prev_block == self.tip.id {
                self.deliver(now, from, env, None);
            }
        }
        self.evaluate_behind(now);
        Ok(())
    }
}
