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

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_ledger::block::BlockId;
    use mcnode_types::Hash32;

    use super::super::lies::placeholder;

    fn liar(b: ByzantineBehaviour) -> Liar {
        Liar::new(b, 50, SigningIdentity::from_seed(&[5; 32]))
    }

    fn own_msg(l: &Liar, slot: u64) -> Wire {
        let st = placeholder(l.own, slot, Hash32::ZERO);
        ScpEnvelope::sign(l.key(), "c", BlockId(Hash32::ZERO), st).to_wire()
    }

    fn other_msg(slot: u64) -> Wire {
        let key = SigningIdentity::from_seed(&[6; 32]);
        let st = placeholder(NodeId(key.verifying().to_bytes()), slot, Hash32::ZERO);
        ScpEnvelope::sign(&key, "c", BlockId(Hash32::ZERO), st).to_wire()
    }

    fn decode(w: &Wire) -> ScpEnvelope {
        ScpEnvelope::from_canonical_bytes(w).unwrap()
    }

    fn kind(l: &Liar, k: &str) -> u64 {
        l.sent.get_or_create(&KindLabel { kind: k.to_owned() }).get()
    }

    #[test]
    fn equivocation_tells_odd_peers_a_validly_signed_other_statement() {
        let l = liar(ByzantineBehaviour::Equivocate);
        let m = own_msg(&l, 4);
        assert_eq!(l.outgoing(0, m.clone()), vec![m.clone()]);
        let odd = l.outgoing(1, m.clone());
        assert_eq!(odd.len(), 1);
        let (a, b) = (decode(&m), decode(&odd[0]));
        b.verify().unwrap();
        assert_eq!((b.statement.slot, b.statement.node_id), (a.statement.slot, l.own));
        assert_ne!(a.statement, b.statement);
        assert_eq!(kind(&l, "equivocation-nominate"), 1);
        // GetLatestMsg answers split the same way.
        assert_eq!(l.latest_answer(2, vec![m.clone()]), vec![m.clone()]);
        assert_eq!(l.latest_answer(3, vec![m]), odd);
        // Nobody else's statement is relayed.
        assert!(l.outgoing(0, other_msg(4)).is_empty());
    }

    #[test]
    fn silent_and_garbage_never_send_the_statement() {
        let s = liar(ByzantineBehaviour::Silent);
        let m = own_msg(&s, 2);
        assert!(s.outgoing(0, m.clone()).is_empty());
        assert!(s.latest_answer(0, vec![m.clone()]).is_empty());
        assert_eq!(kind(&s, "withheld-statement"), 2);
        let g = liar(ByzantineBehaviour::Garbage);
        let out = g.outgoing(1, m.clone());
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|w| *w != m));
        assert_eq!(kind(&g, "garbage-instead-of-statement"), 3);
    }

    #[test]
    fn replay_resends_kept_statements_its_own_and_others() {
        let l = liar(ByzantineBehaviour::Replay);
        l.observe_incoming(&other_msg(1));
        // Bytes that do not verify are not kept.
        l.observe_incoming(b"junk");
        let first = own_msg(&l, 1);
        let out = l.outgoing(0, first.clone());
        assert_eq!(out, vec![first.clone(), other_msg(1)]);
        let out = l.outgoing(0, own_msg(&l, 2));
        assert_eq!(out.len(), 3, "the new statement and both kept ones");
        assert!(out.contains(&first) && out.contains(&other_msg(1)));
        assert_eq!(kind(&l, "replay-other"), 2);
        assert_eq!(kind(&l, "replay-own"), 1);
        let answer = l.latest_answer(0, vec![]);
        assert_eq!(answer.len(), 3);
    }

    #[test]
    fn block_answers_lie_by_behaviour() {
        let block = pb::BlockData {
            block: Some(pb::Block {
                id: vec![1; 32],
                contents_hash: vec![2; 32],
                ..Default::default()
            }),
            ..Default::default()
        };
        let resp = pb::GetBlocksResponse { blocks: vec![block] };
        let stale = pb::GetBlocksResponse { blocks: vec![pb::BlockData::default(); 2] };
        let s = liar(ByzantineBehaviour::Silent).blocks_answer(0, resp.clone(), None);
        assert!(s.blocks.is_empty());
        let g = liar(ByzantineBehaviour::Garbage).blocks_answer(0, resp.clone(), None);
        assert_ne!(g.blocks[0].block.as_ref().unwrap().contents_hash, vec![2; 32]);
        let e = liar(ByzantineBehaviour::Equivocate);
        assert_eq!(e.blocks_answer(0, resp.clone(), None), resp);
        assert_ne!(
            e.blocks_answer(1, resp.clone(), None).blocks[0].block.as_ref().unwrap().id,
            vec![1; 32]
        );
        let r = liar(ByzantineBehaviour::Replay);
        assert_eq!(r.blocks_answer(0, resp, Some(stale.clone())), stale);
    }
}
