//! Peer consensus messages: decoding, authentication and the drop rules, flooding with dedup,
//! statements that wait for a later slot or for transaction bodies, and what a (re)connected or
//! lagging peer is sent.

use std::sync::Arc;

use mcnode_scp::{Pledge, Time};
use mcnode_types::{Decode, Hash32, NodeId, SlotIndex};

use super::envelope::{DropCause, ScpEnvelope, SignatureCheck, Wire};
use super::io::Action;
use super::seen::{SeenKey, seen_key};
use super::{Engine, MAX_BUFFERED, MAX_BUFFERED_PER_SIGNER, MAX_SLOTS_AHEAD};

/// Most message keys remembered for dedup.
pub const MAX_SEEN: usize = 100_000;

/// The slot a node is at, judging by one of its statements: a node that externalized slot `s`
/// has moved on to `s + 1`.
fn slot_reached(env: &ScpEnvelope) -> SlotIndex {
    match env.statement.pledge {
        Pledge::Externalize(_) => env.statement.slot.saturating_add(1),
        _ => env.statement.slot,
    }
}

impl Engine {
    pub(super) fn on_peer_message(&mut self, now: Time, from: NodeId, bytes: Vec<u8>) {
        self.stats.messages_received += 1;
        // Dedup first: flooding brings every message back several times, own ones included,
        // and only messages that passed every check below (or own ones) are remembered, by
        // signer and signature (see `seen.rs` for why that is as strong as a digest of the
        // bytes). A forged copy fails the signature check, so it is never remembered and
        // cannot suppress the genuine message.
        let wire: Wire = Arc::from(bytes);
        let key = seen_key(&wire);
        if key.is_some_and(|k| self.seen.contains_key(&k)) {
            return self.drops.add(DropCause::Duplicate);
        }
        let env = match ScpEnvelope::from_canonical_bytes(&wire) {
            Ok(env) => env,
            Err(_) => return self.drops.add(DropCause::Malformed),
        };
        if env.chain_id != self.cfg.chain_id {
            return self.drops.add(DropCause::OtherChain);
        }
        match env.verify_with(&*self.auth) {
            Ok(()) => {}
            Err(SignatureCheck::Unsigned) => return self.drops.add(DropCause::Unsigned),
            Err(_) => return self.drops.add(DropCause::BadSignature),
        }
        let sender = env.statement.node_id;
        if sender == self.id {
            // Signed by this node's key but not sent by this engine (an earlier run's).
            return self.drops.add(DropCause::FromSelf);
        }
        let slot = env.statement.slot;
        if let Some(k) = key {
            self.remember(k, slot);
        }
        if !self.is_member(&sender) {
            // Well signed but not ours to judge: pass it on, never process it.
            self.relay(wire, from, sender);
            return self.drops.add(DropCause::UnknownSender);
        }
        // Learn (or ask for) the quorum set it names, whatever its slot: the catch-up rule
        // needs the sets of peers that are ahead.
        self.note_quorum_set(now, from, &env);
        let current = self.current_slot();
        let before = self.peer_slots.get(&sender).copied().unwrap_or(0);
        let reached = slot_reached(&env);
        if reached > before {
            self.peer_slots.insert(sender, reached);
        }
        // Only a peer newly seen ahead can change whether this node is behind.
        let raised = reached > before && reached > current;
        if slot < current {
            // A late copy of a statement from a peer already seen further on needs no answer.
            if before <= slot && reached <= slot {
                let to = if self.connected.contains(&sender) { sender } else { from };
                self.answer_laggard(to, slot);
            }
            return self.drops.add(DropCause::StaleSlot);
        }
        if slot > current {
            if slot > current.saturating_add(MAX_SLOTS_AHEAD) {
                self.drops.add(DropCause::TooFarAhead);
            } else if self.buffer_full(sender) {
                self.drops.add(DropCause::BufferFull);
            } else {
                self.future.entry(slot).or_default().push((from, env, wire.clone()));
                self.relay(wire, from, sender);
            }
        } else if env.prev_block != self.tip.id {
            self.drops.add(DropCause::WrongPrevBlock);
        } else {
            self.deliver(now, from, env, Some(wire));
        }
        if raised {
            self.evaluate_behind(now);
        }
    }

    /// Remembers a message for dedup. The memory is bounded: entries leave when their slot
    /// closes, and all of it is forgotten past [`MAX_SEEN`] (a forgotten message that comes
    /// back is processed and relayed once more, and every peer drops it as a duplicate).
    pub(super) fn remember(&mut self, key: SeenKey, slot: SlotIndex) {
        if self.seen.len() >= MAX_SEEN {
            self.seen.clear();
        }
        // A slot far ahead is remembered as the last bufferable one, so it is pruned in time.
        let cap = self.current_slot().saturating_add(MAX_SLOTS_AHEAD + 1);
        self.seen.insert(key, slot.min(cap));
    }

    /// Whether another statement of `signer` may not wait (for its slot or for bodies).
    fn buffer_full(&self, signer: NodeId) -> bool {
        let future = self.future.values().flatten().map(|(_, env, _)| env);
        let waiting = self.waiting.iter().chain(self.qset_waiting.iter()).map(|(_, env)| env);
        let (mut all, mut own) = (0usize, 0usize);
        for env in future.chain(waiting) {
            all += 1;
            own += usize::from(env.statement.node_id == signer);
        }
        all >= MAX_BUFFERED || own >= MAX_BUFFERED_PER_SIGNER
    }

    /// Floods a message on to every peer but the one it came from and its signer (MobileCoin
    /// `threaded_broadcaster.rs` skips both).
    fn relay(&mut self, msg: Wire, from: NodeId, signer: NodeId) {
        self.stats.relayed += 1;
        let mut except = vec![from, signer];
        except.sort_unstable();
        except.dedup();
        self.actions.push_back(Action::Broadcast { msg, except });
    }

    /// Hands a current-slot statement to SCP, or parks it until this node has every body its
    /// values name. `wire` is `Some` on first receipt (then it is relayed).
    pub(super) fn deliver(
        &mut self,
        now: Time,
        from: NodeId,
        env: ScpEnvelope,
        wire: Option<Wire>,
    ) {
        let sender = env.statement.node_id;
        if self.scp.quorum_set_by_hash(&env.statement.quorum_set_hash).is_none() {
            // Its sender's quorum set is being fetched (asked for on receipt).
            if self.buffer_full(sender) {
                return self.drops.add(DropCause::BufferFull);
            }
            if let Some(w) = wire {
                self.relay(w, from, sender);
            }
            self.qset_waiting.push((from, env));
            return;
        }
        let unknown: Vec<Hash32> = {
            let d = self.scp.driver();
            let mut u: Vec<Hash32> = env
                .statement
                .pledge
                .values()
                .iter()
                .flat_map(|v| v.as_slice().iter())
                .filter(|h| !d.knows(h) && !d.is_retired(h))
                .copied()
                .collect();
            u.sort_unstable();
            u.dedup();
            u
        };
        if !unknown.is_empty() {
            if self.buffer_full(sender) {
                return self.drops.add(DropCause::BufferFull);
            }
            if let Some(w) = wire {
                self.relay(w, from, sender);
            }
            self.request_bodies(now, &unknown, Some(from));
            self.waiting.push((from, env));
            return;
        }
        let st = env.statement;
        match self.scp.handle_statement(now, st.clone()) {
            Ok(()) => {
                if let Some(w) = wire {
                    self.relay(w, from, sender);
                }
                self.drain_scp(now);
                if matches!(st.pledge, Pledge::Nominate(_)) {
                    self.join_nomination(now, &st);
                }
            }
            Err(_) => self.drops.add(DropCause::RejectedByScp),
        }
    }

    /// Statements whose bodies have all arrived go to SCP.
    pub(super) fn release_waiting(&mut self, now: Time) {
        let parked = std::mem::take(&mut self.waiting);
        for (from, env) in parked {
            self.deliver(now, from, env, None);
        }
    }

    /// The node reached a new slot: its buffered statements are checked and delivered.
    pub(super) fn release_future(&mut self, now: Time) {
        let current = self.current_slot();
        let old: Vec<SlotIndex> = self.future.range(..current).map(|(s, _)| *s).collect();
        for s in old {
            self.future.remove(&s);
        }
        let Some(batch) = self.future.remove(&current) else { return };
        for (from, env, _) in batch {
            if env.prev_block != self.tip.id {
                self.drops.add(DropCause::WrongPrevBlock);
                continue;
            }
            self.deliver(now, from, env, None);
        }
    }

    /// A peer still speaks about `slot`, which this node closed: send it this node's
    /// EXTERNALIZE for that slot and its latest one, so it can finish or see it is behind.
    fn answer_laggard(&mut self, to: NodeId, slot: SlotIndex) {
        let mut msgs: Vec<Wire> = Vec::new();
        if let Some(w) =
            self.own.get(&slot).filter(|o| o.externalized).and_then(|o| o.ballot.clone())
        {
            msgs.push(w);
        }
        if let Some(w) = self.latest_externalize()
            && !msgs.contains(&w)
        {
            msgs.push(w);
        }
        for msg in msgs {
            self.actions.push_back(Action::Send { to, msg });
        }
    }

    fn latest_externalize(&self) -> Option<Wire> {
        self.own.values().rev().find(|o| o.externalized).and_then(|o| o.ballot.clone())
    }

    /// A peer (re)connected: send it the latest own statements of the current slot and the last
    /// own EXTERNALIZE (stellar-core sends its SCP state to a new peer).
    pub(super) fn on_peer_connected(&mut self, peer: NodeId) {
        self.connected.insert(peer);
        let mut msgs: Vec<Wire> = Vec::new();
        if let Some(w) = self.latest_externalize() {
            msgs.push(w);
        }
        if let Some(own) = self.own.get(&self.current_slot()) {
            for w in own.nominate.iter().chain(own.ballot.iter()) {
                if !msgs.contains(w) {
                    msgs.push(w.clone());
                }
            }
        }
        for msg in msgs {
            self.actions.push_back(Action::Send { to: peer, msg });
        }
    }
}
