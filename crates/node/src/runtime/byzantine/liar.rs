//! The liar of a Byzantine test node: what it sends instead of what its engine asks it to
//! send, what it answers instead of the truth (`GetLatestMsg`, `GetBlocks`, `GetTxs`), and
//! the count of every lie (`byzantine_sent_total{kind}`).
//!
//! The node runs its real engine with its real keys, so its lies are well timed and validly
//! signed where the behaviour wants them to be. Per behaviour:
//! - `equivocate`: each own statement goes unchanged to the peers at even positions (in node
//!   id order) and as its conflicting twin ([`lies::equivocation`]) to those at odd
//!   positions, at every phase; `GetLatestMsg` answers split the same way; block answers to
//!   odd peers are forged (block id changed).
//! - `garbage`: malformed renderings instead of its statements and answers; the flood
//!   (`super::tasks`); block answers tampered (contents hash changed).
//! - `replay`: its statements plus old ones (own, and others' it received) with each send,
//!   its whole store to a peer that (re)connects and in `GetLatestMsg` answers, periodically
//!   (`super::tasks`); block answers stale (from the origin block on).
//! - `silent`: sends no statements, relays nothing, answers every request with nothing.
//!
//! No liar relays other nodes' statements.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use mcnode_api::pb::common::v1 as pb;
use mcnode_crypto::SigningIdentity;
use mcnode_types::{Decode, NodeId};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::lies;
use crate::config::ByzantineBehaviour;
use crate::engine::{ScpEnvelope, Wire};

/// Old messages kept for replay.
pub const HISTORY: usize = 256;
/// Old messages replayed along with each own message.
const REPLAYS_PER_SEND: usize = 2;

/// Label of `byzantine_sent_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// What was sent (`equivocation-nominate`, `garbage-mis-signed`, `replay-other`, ...).
    pub kind: String,
}

/// A Byzantine node's lying state. `Debug` never shows the key.
pub struct Liar {
    /// The behaviour.
    pub behaviour: ByzantineBehaviour,
    /// Garbage flood rate (messages per second).
    pub rate_per_sec: u32,
    /// This node's id.
    pub own: NodeId,
    key: SigningIdentity,
    /// `byzantine_sent_total{kind}`.
    pub sent: Family<KindLabel, Counter>,
    /// Every lie told (all kinds), for the log line.
    pub total: AtomicU64,
    history: Mutex<VecDeque<Wire>>,
    latest_own: Mutex<Option<ScpEnvelope>>,
    garbage_n: AtomicU64,
}

impl std::fmt::Debug for Liar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Liar")
            .field("behaviour", &self.behaviour)
            .field("own", &self.own)
            .finish_non_exhaustive()
    }
}

impl Liar {
    /// A liar signing with `key`.
    pub fn new(behaviour: ByzantineBehaviour, rate_per_sec: u32, key: SigningIdentity) -> Self {
        Liar {
            behaviour,
            rate_per_sec,
            own: NodeId(key.verifying().to_bytes()),
            key,
            sent: Family::default(),
            total: AtomicU64::new(0),
            history: Mutex::new(VecDeque::new()),
            latest_own: Mutex::new(None),
            garbage_n: AtomicU64::new(0),
        }
    }

    /// Counts `n` messages of `kind`.
    pub fn count(&self, kind: &str, n: u64) {
        self.sent.get_or_create(&KindLabel { kind: kind.to_owned() }).inc_by(n);
        self.total.fetch_add(n, Ordering::Relaxed);
    }

    /// The signing key (the flood signs its own garbage).
    pub fn key(&self) -> &SigningIdentity {
        &self.key
    }

    /// The latest envelope this node signed, if any.
    pub fn latest_own(&self) -> Option<ScpEnvelope> {
        self.latest_own.lock().ok().and_then(|l| l.clone())
    }

    /// Keeps `w` for replay (oldest forgotten past [`HISTORY`]).
    pub fn remember(&self, w: Wire) {
        if let Ok(mut h) = self.history.lock() {
            if h.contains(&w) {
                return;
            }
            if h.len() >= HISTORY {
                h.pop_front();
            }
            h.push_back(w);
        }
    }

    /// Up to `n` kept messages, oldest first, starting at a position that moves on each call.
    pub fn pick_history(&self, n: usize) -> Vec<Wire> {
        let Ok(h) = self.history.lock() else { return Vec::new() };
        if h.is_empty() {
            return Vec::new();
        }
        let start = (self.garbage_n.fetch_add(1, Ordering::Relaxed) as usize) % h.len();
        h.iter().cycle().skip(start).take(n.min(h.len())).cloned().collect()
    }

    /// Every kept message.
    pub fn all_history(&self) -> Vec<Wire> {
        self.history.lock().map(|h| h.iter().cloned().collect()).unwrap_or_default()
    }

    /// Counts a replayed message by whose it is.
    pub fn count_replay(&self, w: &Wire, what: &str) {
        let own =
            ScpEnvelope::from_canonical_bytes(w).is_ok_and(|e| e.statement.node_id == self.own);
        self.count(&format!("{what}-{}", if own { "own" } else { "other" }), 1);
    }

    /// A message another node sent this one (kept for replay when validly signed).
    pub fn observe_incoming(&self, bytes: &[u8]) {
        if self.behaviour == ByzantineBehaviour::Replay
            && ScpEnvelope::from_canonical_bytes(bytes).is_ok_and(|e| e.verify().is_ok())
        {
            self.remember(Wire::from(bytes));
        }
    }

    /// What goes to the peer at position `index` (in node id order) instead of `msg`, an
    /// envelope this node's engine sends or relays.
    pub fn outgoing(&self, index: usize, msg: Wire) -> Vec<Wire> {
        let Ok(env) = ScpEnvelope::from_canonical_bytes(&msg) else { return Vec::new() };
        if env.statement.node_id != self.own {
            // Liars relay nobody.
            return Vec::new();
        }
        if let Ok(mut l) = self.latest_own.lock() {
            *l = Some(env.clone());
        }
        match self.behaviour {
            ByzantineBehaviour::Silent => {
                self.count("withheld-statement", 1);
                Vec::new()
            }
            ByzantineBehaviour::Equivocate if index % 2 == 1 => {
                self.count(&format!("equivocation-{}", lies::phase(&env.statement)), 1);
                vec![lies::equivocation(&self.key, &env).to_wire()]
            }
            ByzantineBehaviour::Equivocate => vec![msg],
            ByzantineBehaviour::Garbage => {
                let n = self.garbage_n.fetch_add(1, Ordering::Relaxed);
                self.count("garbage-instead-of-statement", 3);
                lies::malformed(&msg, n).into_iter().map(Wire::from).collect()
            }
            ByzantineBehaviour::Replay => {
                let mut out = vec![msg.clone()];
                for w in self.pick_history(REPLAYS_PER_SEND) {
                    if w != msg {
                        self.count_replay(&w, "replay");
                        out.push(w);
                    }
                }
                self.remember(msg);
                out
            }
        }
    }

    /// The answer to `GetLatestMsg` from the peer at `index` instead of `msgs`.
    pub fn latest_answer(&self, index: usize, msgs: Vec<Wire>) -> Vec<Wire> {
        let mut out: Vec<Wire> = msgs.into_iter().flat_map(|m| self.outgoing(index, m)).collect();
        if self.behaviour == ByzantineBehaviour::Replay {
            let old = self.all_history();
            for w in &old {
                self.count_replay(w, "replay-latest-answer");
            }
            out.extend(old);
            out.truncate(mcnode_api::limits::MAX_LATEST_ENVELOPES);
        }
        out
    }

    /// The answer to `GetBlocks` from the peer at `index` instead of `resp`; for `replay`,
    /// `stale` is the answer from the origin block on.
    pub fn blocks_answer(
        &self,
        index: usize,
        mut resp: pb::GetBlocksResponse,
        stale: Option<pb::GetBlocksResponse>,
    ) -> pb::GetBlocksResponse {
        let n = resp.blocks.len() as u64;
        match self.behaviour {
            ByzantineBehaviour::Silent => {
                self.count("withheld-blocks", n);
                pb::GetBlocksResponse::default()
            }
            ByzantineBehaviour::Garbage => {
                for b in resp.blocks.iter_mut().filter_map(|b| b.block.as_mut()) {
                    if let Some(x) = b.contents_hash.first_mut() {
                        *x ^= 1;
                    }
                }
                self.count("tampered-block", n);
                resp
            }
            ByzantineBehaviour::Equivocate if index % 2 == 1 => {
                for b in resp.blocks.iter_mut().filter_map(|b| b.block.as_mut()) {
                    if let Some(x) = b.id.first_mut() {
                        *x ^= 1;
                    }
                }
                self.count("forged-block", n);
                resp
            }
            ByzantineBehaviour::Equivocate => resp,
            ByzantineBehaviour::Replay => match stale {
                Some(s) => {
                    self.count("stale-block", s.blocks.len() as u64);
                    s
                }
                None => resp,
            },
        }
    }
}
