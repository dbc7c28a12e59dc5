//! The Byzantine test node's own timeline: the garbage flood at `rate_per_sec`, periodic
//! replays, replays right after a peer (re)connects, and a log line of what it did.
//!
//! Flood messages go straight to the peer's gRPC client (one spawned call each, errors
//! ignored): an oversized message is refused by the peer, and that refusal must not close the
//! link the node's own queue uses.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mcnode_api::pb::peer::v1::SendConsensusMsgRequest;
use mcnode_enclave::channel::SessionId;
use mcnode_ledger::block::BlockId;
use mcnode_types::{Hash32, NodeId};
use tokio::sync::watch;

use super::liar::Liar;
use super::lies;
use crate::config::ByzantineBehaviour;
use crate::engine::ScpEnvelope;
use crate::runtime::actor::until_stopped;
use crate::runtime::peers::{Outgoing, Peers, with_from};

/// How often stored messages are replayed to every connected peer.
pub const REPLAY_PERIOD: Duration = Duration::from_secs(1);
/// Stored messages replayed to each peer per period.
const REPLAYS_PER_PERIOD: usize = 8;
/// How often the node logs what it did.
const LOG_PERIOD: Duration = Duration::from_secs(5);
/// Most flood messages sent in one tick (a stalled runtime does not burst without bound).
const MAX_FLOOD_PER_TICK: u64 = 1000;

/// Starts the timeline; it ends when `stop` turns true.
pub fn spawn(liar: Arc<Liar>, chain_id: String, peers: Peers, stop: watch::Receiver<bool>) {
    tokio::spawn(run(liar, chain_id, peers, stop));
}

async fn run(liar: Arc<Liar>, chain_id: String, peers: Peers, mut stop: watch::Receiver<bool>) {
    tracing::warn!(
        behaviour = liar.behaviour.name(),
        rate_per_sec = liar.rate_per_sec,
        "BYZANTINE TEST NODE: this node lies to its peers on purpose (test builds only)"
    );
    let tick = match liar.behaviour {
        ByzantineBehaviour::Garbage => Duration::from_millis(20),
        _ => Duration::from_millis(100),
    };
    let started = Instant::now();
    let (mut flood_sent, mut last_replay, mut last_log, mut logged) =
        (0u64, Instant::now(), Instant::now(), 0u64);
    let mut sessions: BTreeMap<NodeId, SessionId> = BTreeMap::new();
    loop {
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = until_stopped(&mut stop) => return,
        }
        for id in peers.ids() {
            match peers.link(&id) {
                Some(l) if sessions.get(&id) != Some(&l.session) => {
                    sessions.insert(id, l.session);
                    on_connect(&liar, &peers, id);
                }
                Some(_) => {}
                None => {
                    sessions.remove(&id);
                }
            }
        }
        match liar.behaviour {
            ByzantineBehaviour::Garbage => {
                let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                let due = u64::from(liar.rate_per_sec).saturating_mul(ms) / 1000;
                let n = due.saturating_sub(flood_sent).min(MAX_FLOOD_PER_TICK);
                for _ in 0..n {
                    flood_one(&liar, &chain_id, &peers, flood_sent);
                    flood_sent += 1;
                }
                flood_sent = flood_sent.max(due.saturating_sub(MAX_FLOOD_PER_TICK));
            }
            ByzantineBehaviour::Replay if last_replay.elapsed() >= REPLAY_PERIOD => {
                last_replay = Instant::now();
                for id in sessions.keys() {
                    for w in liar.pick_history(REPLAYS_PER_PERIOD) {
                        liar.count_replay(&w, "replay-periodic");
                        peers.send(id, Outgoing::Msg(w));
                    }
                }
            }
            _ => {}
        }
        let total = liar.total.load(Ordering::Relaxed);
        if last_log.elapsed() >= LOG_PERIOD && total != logged {
            last_log = Instant::now();
            logged = total;
            tracing::info!(
                behaviour = liar.behaviour.name(),
                byzantine_sent_total = total,
                "byzantine test node: lies told so far (by kind in /metrics)"
            );
        }
    }
}

/// A peer (re)connected: a replaying node sends it its whole store (a restarted peer has no
/// dedup memory).
fn on_connect(liar: &Liar, peers: &Peers, id: NodeId) {
    if liar.behaviour != ByzantineBehaviour::Replay {
        return;
    }
    for w in liar.all_history() {
        liar.count_replay(&w, "replay-on-connect");
        peers.send(&id, Outgoing::Msg(w));
    }
}

/// Sends flood message number `n` to the connected peer whose turn it is.
fn flood_one(liar: &Liar, chain_id: &str, peers: &Peers, n: u64) {
    let connected: Vec<NodeId> = peers.ids().filter(|id| peers.link(id).is_some()).collect();
    let Some(to) = connected.get((n % connected.len().max(1) as u64) as usize).copied() else {
        return;
    };
    let Some(link) = peers.link(&to) else { return };
    let base = liar.latest_own().unwrap_or_else(|| {
        let st = lies::placeholder(liar.own, 1, Hash32::ZERO);
        ScpEnvelope::sign(liar.key(), chain_id, BlockId(Hash32::ZERO), st)
    });
    let victim = peers.ids().find(|p| *p != to).unwrap_or(to);
    let oversize = mcnode_api::limits::MAX_ENVELOPE_LEN + 1;
    let (kind, wire) = lies::flood_message(liar.key(), &base, victim, n, oversize);
    liar.count(&format!("garbage-{kind}"), 1);
    let mut client = link.client;
    let req = with_from(&liar.own, SendConsensusMsgRequest { envelope: wire.to_vec() });
    tokio::spawn(async move {
        let _ = client.send_consensus_msg(req).await;
    });
}
