//! Lies on the recovery paths: old messages replayed at chosen moments (`replay`), stale and
//! forged statements in state answers (`lying-sync`), and forged, tampered or stale blocks in
//! answers to catch-up requests (every non-silent liar; all three from `lying-sync`).
//!
//! What an honest node does with each (engine rules, `docs/node.md`): a replayed statement of
//! a closed slot is dropped as stale, one it still remembers as a duplicate, and an old one of
//! its current slot reaches SCP, which ignores a statement not newer than the sender's latest;
//! a forged block (a chain of blocks signed by the liar alone) is never appended, because a
//! quorum slice of the node's quorum set must sign it; a tampered block fails its id check
//! (`blocks_refused`); a stale block is ignored for its index.

use std::ops::Range;

use mcnode_ledger::block::BlockData;
use mcnode_node::engine::{ScpEnvelope, Wire};
use mcnode_scp::{Ballot, Externalize, Pledge, Statement};
use mcnode_types::Decode;

use super::{Behaviour, Outgoing, fake_value};
use crate::engine::{Body, Envelope, Sim};
use crate::node::SimNode;

/// Old messages a liar keeps to replay.
pub(crate) const HISTORY: usize = 256;
/// Most old messages replayed to one (re)connecting peer.
const REPLAY_ON_CONNECT: usize = 64;
/// Old messages replayed to every neighbor when the network is partitioned or healed.
const REPLAY_ON_PARTITION: usize = 8;

/// Blocks like `blocks` (which follow `parent`) but of fabricated values, linked to each other
/// and signed by the liar alone.
pub(crate) fn forge_blocks(
    parent: &BlockData,
    blocks: &[BlockData],
    liar: &SimNode,
    now_ms: u64,
) -> Vec<BlockData> {
    let mut prev = parent.block;
    let mut out = Vec::with_capacity(blocks.len());
    for b in blocks {
        let fake = fake_value(&crate::enclave::block_value(b));
        let data = crate::enclave::form_block(&prev, fake.as_slice(), &liar.block_key, now_ms);
        prev = data.block;
        out.push(data);
    }
    out
}

/// `blocks` with their real signatures but a header field changed, so the id no longer matches.
fn tamper_blocks(blocks: &[BlockData]) -> Vec<BlockData> {
    let mut out = blocks.to_vec();
    for b in &mut out {
        b.block.cumulative_txo_count = b.block.cumulative_txo_count.wrapping_add(1);
    }
    out
}

impl Sim {
    /// Keeps `wire` in liar `i`'s store of old messages: appended while there is room, then
    /// replacing a random entry, so messages of early slots stay available to replay.
    pub(crate) fn keep_history(&mut self, i: usize, wire: Wire) {
        if self.nodes[i].history.len() < HISTORY {
            self.nodes[i].history.push(wire);
        } else {
            let k = self.rng.below(HISTORY as u64) as usize;
            self.nodes[i].history[k] = wire;
        }
    }

    /// A random old message of liar `i`.
    pub(crate) fn pick_history(&mut self, i: usize) -> Option<Wire> {
        let len = self.nodes[i].history.len() as u64;
        (len > 0).then(|| self.nodes[i].history[self.rng.below(len) as usize].clone())
    }

    /// Counts a replay by liar `i` as its own or another node's.
    pub(crate) fn count_replay(&mut self, i: usize, wire: &Wire) {
        let own = ScpEnvelope::from_canonical_bytes(wire)
            .is_ok_and(|e| e.statement.node_id == self.nodes[i].id);
        self.count_lie(i, if own { "replayed-own" } else { "replayed-other" }, 1);
    }

    /// A `replay` liar `i` sends up to `n` old messages to `to`.
    fn replay_to(&mut self, i: usize, to: usize, n: usize) {
        let len = self.nodes[i].history.len();
        let start = len.saturating_sub(n);
        for k in start..len {
            let w = self.nodes[i].history[k].clone();
            self.count_replay(i, &w);
            self.send(i, to, Envelope::lie(w));
        }
    }

    /// Node `j` (re)connected to node `i`: a running `replay` liar among them replays its store
    /// to the other (a restarted node has lost its dedup memory).
    pub(crate) fn on_connection_lies(&mut self, i: usize, j: usize) {
        for (liar, peer) in [(i, j), (j, i)] {
            let n = &self.nodes[liar];
            if n.up && n.behaviour == Some(Behaviour::Replay) && self.nodes[peer].up {
                self.replay_to(liar, peer, REPLAY_ON_CONNECT);
            }
        }
    }

    /// A partition began or healed: every running `replay` liar replays a burst of old
    /// messages to each neighbor.
    pub(crate) fn on_partition_lies(&mut self) {
        for i in 0..self.nodes.len() {
            if !self.nodes[i].up || self.nodes[i].behaviour != Some(Behaviour::Replay) {
                continue;
            }
            for k in 0..self.neighbors[i].len() {
                let to = self.neighbors[i][k];
                for _ in 0..REPLAY_ON_PARTITION {
                    if let Some(w) = self.pick_history(i) {
                        self.count_replay(i, &w);
                        self.send(i, to, Envelope::lie(w));
                    }
                }
            }
        }
    }

    /// `lying-sync`: instead of the statement `msg` sent to one peer (a state answer), stale
    /// statements of its own from earlier slots and a forged EXTERNALIZE of a fabricated value
    /// for the slot `msg` is about.
    pub(crate) fn lying_state_answer(&mut self, i: usize, msg: Wire) -> Vec<Outgoing> {
        let Ok(env) = ScpEnvelope::from_canonical_bytes(&msg) else { return Vec::new() };
        let mut out = Vec::new();
        let slot = env.statement.slot;
        let stale: Vec<Wire> = self.nodes[i]
            .history
            .iter()
            .filter(|w| ScpEnvelope::from_canonical_bytes(w).is_ok_and(|e| e.statement.slot < slot))
            .take(4)
            .cloned()
            .collect();
        self.count_lie(i, "stale-statement", stale.len() as u64);
        out.extend(stale.into_iter().map(|w| (w, None, true)));
        let value = match &env.statement.pledge {
            Pledge::Nominate(n) => n.votes.first().cloned(),
            Pledge::Prepare(p) => Some(p.ballot.value.clone()),
            Pledge::Confirm(c) => Some(c.ballot.value.clone()),
            Pledge::Externalize(e) => Some(e.commit.value.clone()),
        };
        if let Some(v) = value {
            let forged = Statement {
                pledge: Pledge::Externalize(Externalize {
                    commit: Ballot::new(1, fake_value(&v)),
                    n_h: 1,
                }),
                ..env.statement.clone()
            };
            self.count_lie(i, "forged-externalize", 1);
            out.push((self.resign(i, &env, forged), None, true));
        }
        out
    }

    /// Node `me` answers `asker`'s request for blocks `range`: honestly, or as its behaviour
    /// lies on the recovery path.
    pub(crate) fn on_get_blocks(&mut self, me: usize, asker: usize, range: Range<u64>) {
        let n = &self.nodes[me];
        let have = n.blocks.len() as u64;
        let (lo, hi) = (range.start.clamp(1, have), range.end.min(have));
        if lo >= hi {
            return;
        }
        let real: Vec<BlockData> = n.blocks[lo as usize..hi as usize].to_vec();
        let b = n.behaviour;
        let forged = || forge_blocks(&n.blocks[lo as usize - 1], &real, n, self.now);
        // Blocks the asker already has (the origin at least).
        let stale = || n.blocks[(lo as usize).saturating_sub(real.len())..lo as usize].to_vec();
        let answers: Vec<(&str, Vec<BlockData>)> = match b {
            None => vec![("", real)],
            Some(Behaviour::Silent) => Vec::new(),
            Some(Behaviour::Equivocate | Behaviour::ConflictingValues) => {
                vec![("forged-block", forged())]
            }
            Some(Behaviour::Garbage) => vec![("tampered-block", tamper_blocks(&real))],
            Some(Behaviour::Replay) => vec![("stale-block", stale())],
            Some(Behaviour::LyingSync) => vec![
                ("forged-block", forged()),
                ("tampered-block", tamper_blocks(&real)),
                ("stale-block", stale()),
            ],
        };
        for (kind, blocks) in answers {
            if blocks.is_empty() {
                continue;
            }
            if !kind.is_empty() {
                self.count_lie(me, kind, blocks.len() as u64);
            }
            self.send(me, asker, Envelope::direct(Body::Blocks(blocks)));
        }
    }
}
