//! How nodes recover: stuck detection and state requests, ledger sync, crash and restart.
//!
//! - **Stuck recovery**: a node that made no progress for a while although it has work asks its
//!   overlay peers for their latest statements about its current slot (stellar-core's
//!   `GET_SCP_STATE`); a peer that is ahead also says so, which starts ledger sync.
//! - **Ledger sync** (DESIGN.md "catch-up"): the node asks its quorum-set peers for the values of
//!   the slots it missed and takes a slot's value once the peers reporting that same value,
//!   together with itself, satisfy its quorum set; then it rejoins consensus at the current slot.
//! - **Crash / restart**: a crash keeps what the real node keeps on disk (ledger and last
//!   emitted statements); a restart builds a fresh SCP core, restores the unfinished slot from
//!   those statements (`Node::restore`) and asks its peers for their state.

use std::rc::Rc;

use mcnode_scp::{QuorumSet, TxHashSet};
use mcnode_types::{NodeId, SlotIndex};

use crate::byzantine::{self, Behaviour};
use crate::engine::{Body, Envelope, Event, Sim};
use crate::node::{SyncState, make_scp};

/// Most slots one ledger-sync answer carries.
const SYNC_BATCH: usize = 64;

impl Sim {
    pub(crate) fn arm_stuck(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        if n.stuck_armed || !n.active() || !n.wants_progress() {
            return;
        }
        n.stuck_armed = true;
        let epoch = n.epoch;
        let at = self.now.max(n.last_progress_ms) + self.stuck_ms;
        self.schedule(at, Event::Stuck { node: i, epoch });
    }

    pub(crate) fn on_stuck(&mut self, i: usize) {
        self.nodes[i].stuck_armed = false;
        let n = &self.nodes[i];
        if !n.wants_progress() {
            return;
        }
        if self.now >= n.last_progress_ms + self.stuck_ms {
            let slot = n.current();
            let env = Envelope::direct(i, Body::StateRequest { slot });
            self.broadcast(i, &env, None);
            self.nodes[i].last_progress_ms = self.now;
        }
        self.arm_stuck(i);
    }

    pub(crate) fn on_state_request(&mut self, me: usize, asker: usize, slot: SlotIndex) {
        let height = self.nodes[me].ledger.len() as u64;
        self.send(me, asker, Envelope::direct(me, Body::StateReply { height }));
        for st in self.nodes[me].scp.latest_statements(slot) {
            if let Some(origin) = self.id_index.get(&st.node_id).copied() {
                self.send(me, asker, Envelope::statement(origin, st));
            }
        }
    }

    pub(crate) fn start_sync(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        if !n.active() {
            return;
        }
        if let Some(t) = n.sync.asked_at
            && self.now < t + self.sync_retry_ms
        {
            return;
        }
        n.sync.active = true;
        n.sync.asked_at = Some(self.now);
        let from = n.current();
        let peers: Vec<usize> = n
            .qset
            .nodes()
            .iter()
            .filter_map(|id| self.id_index.get(id).copied())
            .filter(|p| *p != i)
            .collect();
        let env = Envelope::direct(i, Body::SyncRequest { from });
        for p in peers {
            self.send(i, p, Rc::clone(&env));
        }
        let epoch = self.nodes[i].epoch;
        self.schedule(self.now + self.sync_retry_ms, Event::SyncRetry { node: i, epoch });
    }

    pub(crate) fn on_sync_request(&mut self, me: usize, asker: usize, first: SlotIndex) {
        let n = &self.nodes[me];
        let height = n.ledger.len() as u64;
        if first == 0 || first > height {
            self.send(
                me,
                asker,
                Envelope::direct(me, Body::SyncReply { first, values: Vec::new(), height }),
            );
            return;
        }
        let end = (height as usize).min(first as usize - 1 + SYNC_BATCH);
        let mut values: Vec<TxHashSet> = n.ledger[first as usize - 1..end].to_vec();
        if n.behaviour == Some(Behaviour::ConflictingValues) {
            values = values.iter().map(byzantine::fake_value).collect();
        }
        self.send(me, asker, Envelope::direct(me, Body::SyncReply { first, values, height }));
    }

    pub(crate) fn on_sync_reply(
        &mut self,
        me: usize,
        from: usize,
        first: SlotIndex,
        values: &[TxHashSet],
        height: u64,
    ) {
        let n = &mut self.nodes[me];
        if !n.sync.active {
            return;
        }
        let cur = n.current();
        for (k, v) in values.iter().enumerate() {
            let slot = first + k as u64;
            if slot < cur {
                continue;
            }
            let claims = n.sync.claims.entry(slot).or_default();
            claims.retain(|(who, _)| *who != from);
            claims.push((from, v.clone()));
        }
        let before = n.current();
        loop {
            let n = &self.nodes[me];
            let s = n.current();
            let Some(claims) = n.sync.claims.get(&s) else { break };
            let agreed = claims.iter().find(|(_, v)| {
                let backers: Vec<NodeId> = claims
                    .iter()
                    .filter(|(_, w)| w == v)
                    .map(|(who, _)| self.nodes[*who].id)
                    .chain(std::iter::once(n.id))
                    .collect();
                n.qset.is_slice_satisfied(&|x: &NodeId| backers.contains(x))
            });
            let Some((_, v)) = agreed.cloned() else { break };
            self.nodes[me].sync.claims.remove(&s);
            self.append(me, s, v, true);
            let sync = &mut self.nodes[me].sync;
            sync.from_slot.get_or_insert(s);
            sync.taken += 1;
            if !self.violations.is_empty() {
                return;
            }
            self.drain_buffered(me);
        }
        let n = &mut self.nodes[me];
        let cur = n.current();
        n.sync.claims.retain(|s, _| *s >= cur);
        if cur > before && n.sync.claims.is_empty() {
            let label = n.label.clone();
            let (a, b, taken) = (n.sync.from_slot.unwrap_or(before), cur - 1, n.sync.taken);
            n.sync = SyncState::default();
            if height >= cur {
                // More to fetch: ask again at once, remembering where this catch-up began.
                self.start_sync(me);
                self.nodes[me].sync.from_slot = Some(a);
                self.nodes[me].sync.taken = taken;
            } else {
                self.note(format!(
                    "{label} caught up slots {a}-{b}: {taken} by ledger sync (a quorum slice of its peers agreed on each), the rest from consensus it had buffered; it rejoins consensus at slot {cur}"
                ));
                let env = Envelope::direct(me, Body::StateRequest { slot: cur });
                self.broadcast(me, &env, None);
            }
        }
        self.flush(me);
    }

    pub(crate) fn crash(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        if !n.up {
            return;
        }
        n.up = false;
        n.epoch += 1;
        n.pending.clear();
        n.pending_pos.clear();
        n.known_tx.clear();
        n.buffered.clear();
        n.seen.clear();
        n.sync = SyncState::default();
        n.stuck_armed = false;
        n.cadence_for = 0;
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
        let all: Vec<QuorumSet> = self.cfg.topology.nodes.iter().map(|s| s.qset.clone()).collect();
        let scp = make_scp(&self.cfg, i, self.nodes[i].behaviour, &self.workload, &all);
        let n = &mut self.nodes[i];
        n.scp = scp;
        for s in 1..=n.ledger.len() {
            let v = n.ledger[s - 1].clone();
            n.scp.driver_mut().spend(s as u64, &v);
        }
        n.scp.purge_slots_below(n.current());
        n.up = true;
        n.epoch += 1;
        n.nominated = n.ledger.len() as u64;
        n.last_progress_ms = self.now;
        let cur = n.current();
        let mut restored = Vec::new();
        for (slot, sts) in &n.persisted {
            for st in sts.iter().flatten() {
                if *slot >= cur && n.scp.restore(st.clone()).is_ok() {
                    restored.push(*slot);
                }
            }
        }
        restored.dedup();
        let what = if restored.is_empty() {
            "it had no unfinished slot to restore".to_string()
        } else {
            format!("it restored its own last SCP messages for slot {}", restored[0])
        };
        let text = format!(
            "{} restarted with {} slots in its ledger; {what}, and asks its peers for their state",
            n.label,
            n.ledger.len()
        );
        self.note(text);
        let env = Envelope::direct(i, Body::StateRequest { slot: cur });
        self.broadcast(i, &env, None);
        self.check_done = true;
        self.flush(i);
    }
}
