//! The engine's consensus side: pool intake and relay, block cadence, SCP output (sign, persist,
//! broadcast, timers), externalize -> form block -> append, body fetching, re-broadcast.

use mcnode_ledger::block::BlockData;
use mcnode_scp::{Output, Pledge, Statement, Time, TxHashSet};
use mcnode_types::{Hash32, NodeId};

use super::envelope::ScpEnvelope;
use super::io::{Action, EngineTimer, InputError};
use super::pool::PooledTx;
use super::{Engine, KEPT_SLOTS, Tip};

impl Engine {
    pub(super) fn add_tx(
        &mut self,
        now: Time,
        from: Option<NodeId>,
        tx: PooledTx,
    ) -> Result<(), InputError> {
        let hash = tx.context.tx_hash;
        let kis = tx.context.key_images.clone();
        if self.scp.driver().spends_spent(&kis) {
            return Err(InputError::KeyImageSpent { hash });
        }
        self.pool.insert(tx, self.current_slot(), false)?;
        self.scp.driver_mut().learn(hash, kis);
        // Relay once to every connected peer but the one it came from (MobileCoin
        // `PeerTxPropose`); a duplicate never gets here, so a tx is relayed once per node.
        let to: Vec<NodeId> =
            self.connected.iter().filter(|p| Some(**p) != from).copied().collect();
        if !to.is_empty() {
            self.actions.push_back(Action::RelayTx { hash, to });
        }
        self.got_bodies(now, &[hash]);
        self.maybe_nominate(now);
        Ok(())
    }

    /// Nominates if the cadence allows; otherwise arms the cadence timer.
    pub(super) fn maybe_nominate(&mut self, now: Time) {
        if !self.serving || self.forming.is_some() || self.nominated || self.pool.is_empty() {
            if self.pool.is_empty() || self.nominated {
                self.cancel_timer(EngineTimer::Nominate);
            }
            return;
        }
        let picked = self.own_pick();
        if picked.is_empty() {
            self.cancel_timer(EngineTimer::Nominate);
            return;
        }
        let due = self.last_block_at.saturating_add(self.cfg.block_interval);
        let full = picked.len() >= self.cfg.max_values_per_slot;
        if now < due && !full {
            self.set_timer(EngineTimer::Nominate, due);
            return;
        }
        self.nominate(now, TxHashSet::from_hashes(picked));
    }

    /// The pool's pick for the next block, after dropping from the pool any transaction the
    /// driver retired (a copy pooled after its block): SCP refuses a node's own value naming
    /// one, and a node whose every nomination is refused neither nominates nor joins.
    fn own_pick(&mut self) -> Vec<Hash32> {
        let max = self.cfg.max_values_per_slot;
        let mut picked = self.pool.select(max);
        while let Some(stale) = picked.iter().find(|h| self.scp.driver().is_retired(h)).copied() {
            self.pool.remove(&stale);
            self.scp.driver_mut().retire(stale); // forgets the body it re-learned
            picked = self.pool.select(max);
        }
        picked
    }

    pub(super) fn nominate(&mut self, now: Time, value: TxHashSet) {
        let slot = self.current_slot();
        if self.scp.nominate(now, slot, value, self.tip.id.0).is_ok() {
            self.nominated = true;
            self.nominated_at.get_or_insert(now);
            self.cancel_timer(EngineTimer::Nominate);
        }
        self.drain_scp(now);
    }

    /// A peer nominated in the current slot: join with our own pending transactions, or, with
    /// none, with a value of theirs this node can vouch for (the SCP core ignores nominations
    /// until the node nominates itself).
    pub(super) fn join_nomination(&mut self, now: Time, st: &Statement<TxHashSet>) {
        if self.nominated || !self.serving || self.forming.is_some() {
            return;
        }
        let picked = self.own_pick();
        if !picked.is_empty() {
            self.nominate(now, TxHashSet::from_hashes(picked));
            return;
        }
        let Pledge::Nominate(nom) = &st.pledge else { return };
        let slot = self.current_slot();
        let pick = nom.accepted.iter().chain(&nom.votes).find(|v| {
            mcnode_scp::Driver::validate(self.scp.driver_mut(), slot, v)
                == mcnode_scp::Validity::Valid
        });
        if let Some(v) = pick.cloned() {
            self.nominate(now, v);
        }
    }

    /// Carries out what the SCP core asked for.
    pub(super) fn drain_scp(&mut self, now: Time) {
        while let Some(out) = self.scp.poll_output() {
            match out {
                Output::Emit(st) => self.emit(now, st),
                Output::Externalized { slot, value } => {
                    if slot == self.current_slot() && self.forming.is_none() {
                        if let Some(t) = self.nominated_at.take() {
                            let ms = now.0.saturating_sub(t.0);
                            self.stats.slots_timed += 1;
                            self.stats.nominate_to_externalize_ms_total += ms;
                            self.stats.nominate_to_externalize_ms_last = ms;
                        }
                        self.scp.stop_nomination(slot);
                        self.cancel_timer(EngineTimer::Nominate);
                        self.forming = Some(value);
                        self.form_requested = false;
                        self.try_form(now);
                    }
                }
                Output::SetTimer { timer, deadline } => {
                    self.set_timer(EngineTimer::Scp(timer), deadline);
                }
                Output::CancelTimer { timer } => self.cancel_timer(EngineTimer::Scp(timer)),
            }
        }
        let missing = self.scp.driver_mut().take_missing();
        if !missing.is_empty() {
            self.request_bodies(now, &missing, None);
        }
    }

    /// Signs, remembers, persists and broadcasts an own statement.
    fn emit(&mut self, now: Time, st: Statement<TxHashSet>) {
        let slot = st.slot;
        let wire = self.record_own(st);
        self.actions.push_back(Action::PersistStatements {
            slot,
            statements: self.scp.own_statements(slot),
        });
        self.actions.push_back(Action::Broadcast { msg: wire, except: vec![] });
        self.last_progress = now;
        self.set_timer(EngineTimer::Rebroadcast, now.saturating_add(self.cfg.rebroadcast_interval));
    }

    /// Signs an own statement and keeps it as the latest of its protocol for its slot.
    pub(super) fn record_own(&mut self, st: Statement<TxHashSet>) -> super::Wire {
        let slot = st.slot;
        let is_nominate = matches!(st.pledge, Pledge::Nominate(_));
        let externalize = matches!(st.pledge, Pledge::Externalize(_));
        let env = ScpEnvelope::sign_with(&*self.auth, &self.cfg.chain_id, self.tip.id, st);
        let wire = env.to_wire();
        if let Some(k) = super::seen::seen_key(&wire) {
            self.remember(k, slot);
        }
        let own = self.own.entry(slot).or_default();
        if is_nominate {
            own.nominate = Some(wire.clone());
        } else {
            own.ballot = Some(wire.clone());
            own.externalized = externalize;
        }
        wire
    }

    /// Forms the externalized block once every body is here; fetches the missing ones.
    pub(super) fn try_form(&mut self, now: Time) {
        let Some(value) = self.forming.clone() else { return };
        if self.form_requested {
            return;
        }
        let missing: Vec<Hash32> =
            value.as_slice().iter().filter(|h| !self.pool.contains(h)).copied().collect();
        if !missing.is_empty() {
            self.request_bodies(now, &missing, None);
            return;
        }
        let txs: Vec<PooledTx> =
            value.as_slice().iter().filter_map(|h| self.pool.get(h).cloned()).collect();
        self.form_requested = true;
        self.actions.push_back(Action::FormBlock { slot: self.current_slot(), txs });
    }

    /// Asks for bodies: from `hint` first (the peer whose statement named them), then every
    /// connected peer. Re-asked on the fetch-retry timer until they arrive.
    pub(super) fn request_bodies(&mut self, now: Time, hashes: &[Hash32], hint: Option<NodeId>) {
        let mut fresh = Vec::new();
        for h in hashes {
            if self.pool.contains(h) {
                continue;
            }
            let entry = self.wanted.entry(*h).or_default();
            let new = entry.is_empty() || hint.is_some_and(|p| !entry.contains(&p));
            if let Some(p) = hint {
                entry.insert(p);
            }
            if new {
                fresh.push(*h);
            }
        }
        if fresh.is_empty() {
            return;
        }
        let mut from: Vec<NodeId> = hint.into_iter().collect();
        from.extend(self.connected.iter().filter(|p| Some(**p) != hint).copied());
        if !from.is_empty() {
            self.actions.push_back(Action::FetchTxs { from, hashes: fresh });
        }
        if !self.timers.contains_key(&EngineTimer::FetchRetry) {
            self.set_timer(EngineTimer::FetchRetry, now.saturating_add(self.cfg.fetch_retry));
        }
    }

    pub(super) fn retry_fetches(&mut self, now: Time) {
        let all: Vec<Hash32> = self.wanted.keys().copied().collect();
        if all.is_empty() {
            return;
        }
        let mut from: Vec<NodeId> = Vec::new();
        for peers in self.wanted.values() {
            for p in peers {
                if !from.contains(p) {
                    from.push(*p);
                }
            }
        }
        for p in &self.connected {
            if !from.contains(p) {
                from.push(*p);
            }
        }
        if !from.is_empty() {
            self.actions.push_back(Action::FetchTxs { from, hashes: all });
        }
        self.set_timer(EngineTimer::FetchRetry, now.saturating_add(self.cfg.fetch_retry));
    }

    pub(super) fn on_txs_fetched(&mut self, now: Time, _from: NodeId, txs: Vec<PooledTx>) {
        let mut got = Vec::new();
        for tx in txs {
            let hash = tx.context.tx_hash;
            if !self.wanted.contains_key(&hash) {
                continue; // unasked bodies could flood the pool past its bound
            }
            let kis = tx.context.key_images.clone();
            if self.scp.driver().spends_spent(&kis) {
                // Its ledger check raced a block append: it can never be included. Retired,
                // the statements waiting for it go to SCP, which finds their values invalid
                // (or takes their valid part) instead of waiting for it forever.
                self.scp.driver_mut().retire(hash);
                got.push(hash);
                continue;
            }
            if self.pool.insert(tx, self.current_slot(), true).is_ok() {
                self.scp.driver_mut().learn(hash, kis);
                got.push(hash);
            }
        }
        self.got_bodies(now, &got);
    }

    /// Bodies arrived: stop asking, hand waiting statements to SCP, form a waiting block.
    fn got_bodies(&mut self, now: Time, hashes: &[Hash32]) {
        for h in hashes {
            self.wanted.remove(h);
        }
        if self.wanted.is_empty() {
            self.cancel_timer(EngineTimer::FetchRetry);
        }
        if !hashes.is_empty() {
            self.release_waiting(now);
            self.try_form(now);
        }
    }

    pub(super) fn rebroadcast(&mut self, now: Time) {
        let slot = self.current_slot();
        let Some(own) = self.own.get(&slot) else { return };
        let msgs: Vec<super::Wire> =
            own.nominate.iter().chain(own.ballot.iter()).cloned().collect();
        if msgs.is_empty() {
            return;
        }
        if now >= self.last_progress.saturating_add(self.cfg.rebroadcast_interval) {
            for msg in msgs {
                self.actions.push_back(Action::Broadcast { msg, except: vec![] });
            }
            self.stats.rebroadcasts += 1;
            self.set_timer(
                EngineTimer::Rebroadcast,
                now.saturating_add(self.cfg.rebroadcast_interval),
            );
        } else {
            let at = self.last_progress.saturating_add(self.cfg.rebroadcast_interval);
            self.set_timer(EngineTimer::Rebroadcast, at);
        }
    }

    pub(super) fn on_block_appended(
        &mut self,
        now: Time,
        data: BlockData,
    ) -> Result<(), InputError> {
        let b = data.block;
        if b.index != self.tip.index.saturating_add(1) || b.parent_id != self.tip.id {
            return Err(InputError::NotNextBlock { index: b.index, tip: self.tip.index });
        }
        self.tip = Tip { index: b.index, id: b.id };
        self.scp.driver_mut().spend(&data.contents.key_images);
        let next = self.current_slot();
        let mut retired = self.pool.prune(&data.contents.key_images, next);
        if let Some(value) = self.forming.take() {
            for h in value.as_slice() {
                if self.pool.remove(h).is_some() {
                    retired.push(*h);
                }
            }
        }
        for h in retired {
            self.scp.driver_mut().retire(h);
        }
        self.stats.blocks_appended += 1;
        self.form_requested = false;
        self.nominated = false;
        self.nominated_at = None;
        self.last_block_at = now;
        self.last_progress = now;
        self.scp.purge_slots_below(next);
        self.drain_scp(now);
        self.own.retain(|s, _| s.saturating_add(KEPT_SLOTS) >= next);
        self.seen.retain(|_, s| s.saturating_add(1) >= next);
        self.waiting.clear();
        self.qset_waiting.clear();
        self.wanted.clear();
        self.cancel_timer(EngineTimer::FetchRetry);
        self.cancel_timer(EngineTimer::Rebroadcast);
        self.catchup.appended(b.index);
        self.release_future(now);
        self.evaluate_behind(now);
        self.try_append_fetched();
        self.continue_catchup(now);
        self.maybe_nominate(now);
        Ok(())
    }
}
