//! Catch-up by ledger sync (MobileCoin `ledger/sync`: `SCPNetworkState::is_behind`,
//! `IS_BEHIND_GRACE_PERIOD`; DESIGN.md "catch-up"): a node whose peers on higher slots form a
//! blocking set and a quorum stops serving, fetches the missing blocks, and appends a block only
//! if
//! - its id is what its header fields hash to and its contents hash matches its contents;
//! - it links to the node's tip (index and parent id);
//! - the peers whose attested enclave block-signing key (from `PeerAttested`) produced a valid
//!   signature over its id satisfy a slice of the node's own quorum set.
//!
//! The node never counts itself, neither among the peers ahead nor among the signers.
//! Signatures for one block id are merged across answers from different peers, since each
//! node's enclave signs its own copy. MobileCoin appends synced blocks without signatures
//! (`ledger_sync_service.rs` "TODO propagate downloaded signature"); we keep the ones that
//! made the block acceptable.

use std::collections::{BTreeMap, BTreeSet};

use mcnode_ledger::block::{BlockData, BlockId, BlockSignature};
use mcnode_scp::{Time, largest_quorum_within};
use mcnode_types::NodeId;

use super::Engine;
use super::io::{Action, EngineTimer};

/// One fetched block and the verified signatures gathered for it, by signing node.
#[derive(Clone, Debug)]
struct Candidate {
    data: BlockData,
    sigs: BTreeMap<NodeId, BlockSignature>,
}

/// Catch-up state.
#[derive(Clone, Debug, Default)]
pub(super) struct CatchUp {
    /// node -> its enclave's block-signing key; and the reverse.
    signer_of: BTreeMap<NodeId, NodeId>,
    node_of: BTreeMap<NodeId, NodeId>,
    behind_since: Option<Time>,
    active: bool,
    asked_at: Option<Time>,
    in_flight: Option<u64>,
    fetched: BTreeMap<u64, BTreeMap<BlockId, Candidate>>,
}

impl CatchUp {
    pub(super) fn attest(&mut self, node: NodeId, block_signer: NodeId) {
        if let Some(old) = self.signer_of.insert(node, block_signer) {
            self.node_of.remove(&old);
        }
        self.node_of.insert(block_signer, node);
    }

    pub(super) fn appended(&mut self, index: u64) {
        if self.in_flight.is_some_and(|i| i <= index) {
            self.in_flight = None;
        }
        self.fetched = self.fetched.split_off(&index.saturating_add(1));
    }
}

impl Engine {
    /// Whether a catch-up is under way.
    pub(super) fn catchup_active(&self) -> bool {
        self.catchup.active
    }

    /// Peers (never this node) seen on a slot above the current one.
    fn peers_ahead(&self) -> BTreeSet<NodeId> {
        let current = self.current_slot();
        self.peer_slots
            .iter()
            .filter(|(n, s)| **s > current && **n != self.id)
            .map(|(n, _)| *n)
            .collect()
    }

    /// MobileCoin's rule: the peers ahead are v-blocking for this node and contain a quorum
    /// (by their own quorum sets) that satisfies a slice of this node's quorum set.
    pub(super) fn is_behind(&self) -> bool {
        let ahead = self.peers_ahead();
        if ahead.is_empty() {
            return false;
        }
        let me = self.id;
        let qset = &self.cfg.quorum_set;
        if !qset.is_v_blocking(&|n: &NodeId| *n != me && ahead.contains(n)) {
            return false;
        }
        let quorum = largest_quorum_within(&ahead, |n| self.qsets.get(n));
        qset.is_slice_satisfied(&|n: &NodeId| *n != me && quorum.contains(n))
    }

    pub(super) fn evaluate_behind(&mut self, now: Time) {
        if self.catchup.active {
            if !self.is_behind() && self.catchup.in_flight.is_none() {
                self.finish_catchup();
            }
            return;
        }
        if !self.is_behind() {
            self.catchup.behind_since = None;
            self.cancel_timer(EngineTimer::CatchUp);
            return;
        }
        if self.catchup.behind_since.is_none() {
            self.catchup.behind_since = Some(now);
            self.set_timer(EngineTimer::CatchUp, now.saturating_add(self.cfg.catchup_grace));
        }
    }

    fn finish_catchup(&mut self) {
        self.catchup.active = false;
        self.catchup.behind_since = None;
        self.catchup.asked_at = None;
        self.catchup.fetched.clear();
        self.cancel_timer(EngineTimer::CatchUp);
        self.set_serving(true);
    }

    pub(super) fn on_catchup_timer(&mut self, now: Time) {
        if !self.is_behind() {
            if self.catchup.active && self.catchup.in_flight.is_none() {
                self.finish_catchup();
            }
            self.catchup.behind_since = None;
            return;
        }
        if !self.catchup.active {
            let Some(since) = self.catchup.behind_since else {
                self.catchup.behind_since = Some(now);
                self.set_timer(EngineTimer::CatchUp, now.saturating_add(self.cfg.catchup_grace));
                return;
            };
            if now < since.saturating_add(self.cfg.catchup_grace) {
                self.set_timer(EngineTimer::CatchUp, since.saturating_add(self.cfg.catchup_grace));
                return;
            }
            self.catchup.active = true;
            self.stats.catchups += 1;
            self.set_serving(false);
        }
        self.request_blocks(now);
    }

    fn request_blocks(&mut self, now: Time) {
        let ahead: Vec<NodeId> = self.peers_ahead().into_iter().collect();
        let start = self.tip.index.saturating_add(1);
        let highest = ahead.iter().filter_map(|n| self.peer_slots.get(n)).max().copied();
        // A peer on slot `s` has blocks below `s`.
        let end = highest.unwrap_or(start).min(start.saturating_add(self.cfg.max_blocks_per_fetch));
        if end > start {
            self.actions.push_back(Action::FetchBlocks { from: ahead, range: start..end });
        }
        self.catchup.asked_at = Some(now);
        self.set_timer(EngineTimer::CatchUp, now.saturating_add(self.cfg.catchup_grace));
    }

    pub(super) fn on_blocks_fetched(&mut self, now: Time, _from: NodeId, blocks: Vec<BlockData>) {
        if !self.catchup.active {
            return;
        }
        let lo = self.tip.index;
        let hi = lo.saturating_add(self.cfg.max_blocks_per_fetch.saturating_mul(2));
        for data in blocks {
            let b = &data.block;
            if b.index <= lo || b.index > hi {
                continue;
            }
            if b.compute_id() != b.id || data.contents.hash() != b.contents_hash {
                self.stats.blocks_refused += 1;
                continue;
            }
            let mut sigs = BTreeMap::new();
            for sig in &data.signatures {
                let Some(node) = self.catchup.node_of.get(&sig.signer).copied() else { continue };
                if node != self.id && sig.verify(&b.id).is_ok() {
                    sigs.insert(node, *sig);
                }
            }
            let slot = self.catchup.fetched.entry(b.index).or_default();
            let entry = slot.entry(b.id).or_insert_with(|| Candidate {
                data: BlockData {
                    block: data.block,
                    contents: data.contents.clone(),
                    signatures: Vec::new(),
                },
                sigs: BTreeMap::new(),
            });
            entry.sigs.extend(sigs);
        }
        // No new request here: an answer without the next block waits for the retry timer,
        // or a runtime that answers at once would spin.
        self.try_append_fetched();
        let _ = now;
    }

    /// After a catch-up block was appended with nothing appendable left in hand, ask for the
    /// next blocks (progress-driven: one request per appended block at most).
    pub(super) fn continue_catchup(&mut self, now: Time) {
        if !self.catchup.active || self.catchup.in_flight.is_some() {
            return;
        }
        let next = self.tip.index.saturating_add(1);
        if self.catchup.fetched.range(next..).next().is_none() {
            self.request_blocks(now);
        }
    }

    /// Appends the next fetched block if it is acceptable (one at a time: the next waits for
    /// its `BlockAppended`).
    pub(super) fn try_append_fetched(&mut self) {
        if !self.catchup.active || self.catchup.in_flight.is_some() {
            return;
        }
        let next = self.tip.index.saturating_add(1);
        let tip = self.tip.id;
        let Some(cands) = self.catchup.fetched.get_mut(&next) else { return };
        let before = cands.len();
        cands.retain(|_, c| c.data.block.parent_id == tip);
        self.stats.blocks_refused += (before - cands.len()) as u64;
        let me = self.id;
        let qset = &self.cfg.quorum_set;
        let pick = cands
            .values()
            .find(|c| qset.is_slice_satisfied(&|n: &NodeId| *n != me && c.sigs.contains_key(n)));
        let Some(c) = pick else { return };
        let mut data = c.data.clone();
        data.signatures = c.sigs.values().copied().collect();
        self.catchup.in_flight = Some(next);
        self.actions.push_back(Action::AppendBlock { block: data });
    }
}
