//! The engine actor: one task owns the [`Engine`], takes its inputs over an mpsc channel,
//! stamps each with `now` from the [`Clock`], arms its timers with `tokio::time`, and carries
//! out its actions (send, relay, fetch, form and append blocks, persist statements).
//!
//! Ordering guarantees the engine's contract asks for:
//! - `PersistStatements` is written (atomically, fsynced) before any later action runs, so a
//!   statement is on disk before a message that depends on it leaves the node.
//! - `FormBlock` and `AppendBlock` run inline: the block is in the ledger (one LMDB
//!   transaction) before `BlockAppended` reaches the engine and before the next action.
//! - A storage write failure or a dead enclave stops the node (fail-stop) with an error that
//!   says which ([`Fatal`]).

use std::collections::BTreeMap;

use mcnode_enclave::host::{form_block_inputs, frontier};
use mcnode_ledger::Ledger;
use mcnode_ledger::block::BlockId;
use mcnode_scp::Time;
use mcnode_types::Hash32;
use tokio::sync::{mpsc, oneshot, watch};

use crate::engine::{Action, Engine, EngineTimer, Input, InputError, PooledTx, Wire};

use super::clock::Clock;
use super::enclave_worker::{EnclaveCallError, EnclaveWorker};
use super::fetch;
use super::ledger::SharedLedger;
use super::peers::{Outgoing, Peers};
use super::persist::{Persisted, StatementStore};
use super::status_source::{MetricsTracker, RuntimeStatus};

/// Why the node stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    /// The enclave process died.
    #[error("{0}")]
    Enclave(EnclaveCallError),
    /// A ledger write failed (fail-stop: the node cannot extend its chain).
    #[error("ledger write failed: {0}")]
    Ledger(String),
    /// The statements file could not be written.
    #[error("persisting SCP statements failed: {0}")]
    Persist(String),
}

/// A request to the actor.
#[derive(Debug)]
pub enum Command {
    /// An engine input; the outcome goes to `reply` if given.
    Input {
        /// The input (boxed: inputs are large, the other command is small).
        input: Box<Input>,
        /// Where the outcome goes.
        reply: Option<oneshot::Sender<Result<(), InputError>>>,
    },
    /// Pooled transactions by hash (for a peer's `GetTxs`).
    GetTxs {
        /// The hashes.
        hashes: Vec<Hash32>,
        /// Those found.
        reply: oneshot::Sender<Vec<PooledTx>>,
    },
    /// A quorum set this node knows, by hash (a peer's `GetQuorumSet`).
    QuorumSet {
        /// The hash.
        hash: Hash32,
        /// The set, if known.
        reply: oneshot::Sender<Option<mcnode_scp::QuorumSet>>,
    },
    /// Whether a transaction is pooled (an admission skips a copy of one that is).
    Pooled {
        /// Its hash.
        hash: Hash32,
        /// Whether the pool holds it.
        reply: oneshot::Sender<bool>,
    },
    /// This node's latest signed statements for the current slot (a peer's `GetLatestMsg`).
    LatestMsgs {
        /// The envelopes, nomination first.
        reply: oneshot::Sender<Vec<Wire>>,
    },
}

/// A handle to the actor; cheap to clone.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    tx: mpsc::Sender<Command>,
}

/// The actor stopped.
#[derive(Debug, thiserror::Error)]
#[error("the node is stopping")]
pub struct Stopped;

impl EngineHandle {
    /// Hands `input` in and waits for the engine's verdict.
    pub async fn input(&self, input: Input) -> Result<Result<(), InputError>, Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Input { input: Box::new(input), reply: Some(reply) })
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// Hands `input` in without waiting (connection events, fetched data).
    pub async fn notify(&self, input: Input) {
        let _ = self.tx.send(Command::Input { input: Box::new(input), reply: None }).await;
    }

    /// This node's latest signed statements for the current slot (empty if the node is
    /// stopping).
    pub async fn latest_msgs(&self) -> Vec<Wire> {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Command::LatestMsgs { reply }).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Whether the pool holds `hash` (false if the node is stopping).
    pub async fn pooled(&self, hash: Hash32) -> bool {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Command::Pooled { hash, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// A quorum set this node knows, by hash.
    pub async fn quorum_set(&self, hash: Hash32) -> Option<mcnode_scp::QuorumSet> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::QuorumSet { hash, reply }).await.ok()?;
        rx.await.ok().flatten()
    }

    /// Pooled transactions by hash.
    pub async fn get_txs(&self, hashes: Vec<Hash32>) -> Vec<PooledTx> {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Command::GetTxs { hashes, reply }).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }
}

/// Everything the actor drives.
pub struct Actor {
    /// The engine.
    pub engine: Engine,
    /// The clock.
    pub clock: Clock,
    /// The enclave.
    pub enclave: EnclaveWorker,
    /// The ledger.
    pub ledger: SharedLedger,
    /// Admits fetched bodies.
    pub admission: super::admit::Admission,
    /// The statements file.
    pub store: StatementStore,
    /// Peer connections.
    pub peers: Peers,
    /// Status for the admin server (and `devnet up`, which reads `/info`).
    pub status: RuntimeStatus,
    /// Moves the Prometheus metrics.
    pub metrics: MetricsTracker,
    /// The Byzantine test node's hook (honest pass-through unless configured).
    pub byzantine: super::byzantine::Hook,
}

/// Creates the channel of an actor.
pub fn channel() -> (EngineHandle, mpsc::Receiver<Command>) {
    let (tx, rx) = mpsc::channel(4096);
    (EngineHandle { tx }, rx)
}

impl Actor {
    /// Runs until `shutdown` turns true (`Ok`) or something fatal happens.
    pub async fn run(
        mut self,
        handle: EngineHandle,
        mut rx: mpsc::Receiver<Command>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), Fatal> {
        let mut timers: BTreeMap<EngineTimer, Time> = BTreeMap::new();
        let mut dead = self.enclave.dead();
        self.drain(&handle, &mut timers).await?;
        loop {
            let next = timers.values().min().copied();
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    None => return Ok(()),
                    Some(Command::Input { input, reply }) => {
                        let r = self.engine.handle(self.clock.now(), *input);
                        if let Some(reply) = reply {
                            let _ = reply.send(r);
                        }
                    }
                    Some(Command::GetTxs { hashes, reply }) => {
                        let pool = self.engine.pool();
                        let txs = hashes.iter().filter_map(|h| pool.get(h).cloned()).collect();
                        let _ = reply.send(txs);
                    }
                    Some(Command::Pooled { hash, reply }) => {
                        let _ = reply.send(self.engine.pool().contains(&hash));
                    }
                    Some(Command::QuorumSet { hash, reply }) => {
                        let _ = reply.send(self.engine.quorum_set_by_hash(&hash).cloned());
                    }
                    Some(Command::LatestMsgs { reply }) => {
                        let _ = reply.send(self.engine.latest_own_messages());
                    }
                },
                () = sleep_until(&self.clock, next), if next.is_some() => {
                    let now = self.clock.now();
                    let due: Vec<EngineTimer> =
                        timers.iter().filter(|(_, d)| **d <= now).map(|(t, _)| *t).collect();
                    for t in due {
                        timers.remove(&t);
                        let _ = self.engine.handle(now, Input::Timer(t));
                    }
                }
                () = until_stopped(&mut shutdown) => return Ok(()),
                reason = until_dead(&mut dead) => {
                    return Err(Fatal::Enclave(EnclaveCallError::Dead { reason }));
                }
            }
            self.drain(&handle, &mut timers).await?;
        }
    }

    /// Carries out every queued action (including those that actions cause), then publishes
    /// the status.
    async fn drain(
        &mut self,
        handle: &EngineHandle,
        timers: &mut BTreeMap<EngineTimer, Time>,
    ) -> Result<(), Fatal> {
        while let Some(action) = self.engine.poll_action() {
            self.perform(handle, timers, action).await?;
        }
        self.publish();
        Ok(())
    }

    async fn perform(
        &mut self,
        handle: &EngineHandle,
        timers: &mut BTreeMap<EngineTimer, Time>,
        action: Action,
    ) -> Result<(), Fatal> {
        match action {
            Action::Send { to, msg } => self.byzantine.send(&self.peers, &to, msg),
            Action::Broadcast { msg, except } => {
                for peer in self.peers.ids() {
                    if !except.contains(&peer) {
                        self.byzantine.send(&self.peers, &peer, msg.clone());
                    }
                }
            }
            Action::RelayTx { hash, to } => {
                if let Some(tx) =
                    self.engine.pool().get(&hash).filter(|_| self.byzantine.relays_txs())
                {
                    for peer in to {
                        self.peers.send(&peer, Outgoing::Relay(tx.payload.clone()));
                    }
                }
            }
            Action::FetchTxs { from, hashes } => {
                let own = self.engine.node_id();
                let (peers, admission) = (self.peers.clone(), self.admission.clone());
                tokio::spawn(fetch::fetch_txs(peers, admission, own, from, hashes));
            }
            Action::FetchQuorumSet { from, hash } => {
                let own = self.engine.node_id();
                let (peers, h) = (self.peers.clone(), handle.clone());
                tokio::spawn(fetch::fetch_quorum_set_retrying(peers, h, own, from, hash));
            }
            Action::FetchBlocks { from, range } => {
                let own = self.engine.node_id();
                let (peers, h) = (self.peers.clone(), handle.clone());
                tokio::spawn(fetch::fetch_blocks(peers, h, own, from, range));
            }
            Action::FormBlock { slot, txs } => self.form_block(slot, txs).await?,
            Action::AppendBlock { block } => self.append_fetched(block).await?,
            Action::PersistStatements { slot, statements } => {
                let store = self.store.clone();
                let p = Persisted { slot, statements };
                tokio::task::spawn_blocking(move || store.save(&p))
                    .await
                    .map_err(|e| Fatal::Persist(e.to_string()))?
                    .map_err(|e| Fatal::Persist(e.to_string()))?;
            }
            Action::SetTimer { timer, deadline } => {
                timers.insert(timer, deadline);
            }
            Action::CancelTimer { timer } => {
                timers.remove(&timer);
            }
            Action::Serving(serving) => {
                tracing::info!(serving, "client service {}", if serving { "on" } else { "off" });
            }
        }
        Ok(())
    }

    async fn form_block(&mut self, slot: u64, txs: Vec<PooledTx>) -> Result<(), Fatal> {
        let n = txs.len();
        // A block for this slot may have been appended from catch-up after the engine asked
        // for it: forming it again would build on the wrong parent.
        let next = self
            .ledger
            .with(|l| l.num_blocks())
            .await
            .map_err(|e| Fatal::Ledger(e.to_string()))?
            .map_err(|e| Fatal::Ledger(e.to_string()))?;
        if slot != next {
            tracing::info!(slot, next, "not forming: the ledger already holds this slot's block");
            return Ok(());
        }
        let sizes: Vec<u64> = txs.iter().map(|t| t.context.leaf_count).collect();
        let payloads = txs.into_iter().map(|t| t.payload).collect();
        let now = Clock::unix_secs();
        let inputs = self
            .ledger
            .with(move |l| form_block_inputs(&*l, payloads, sizes, now))
            .await
            .map_err(|e| Fatal::Ledger(e.to_string()))?;
        let inputs = match inputs {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(slot, error = %e, "cannot gather the ledger data to form a block");
                return Ok(());
            }
        };
        match self.enclave.call(move |e| e.form_block(inputs)).await {
            Ok(formed) => {
                let excluded = formed.excluded.len();
                let st = self.engine.stats();
                // `mcnode bench devnet` reads the last three fields from the log.
                tracing::info!(
                    slot,
                    txs = n,
                    excluded,
                    id = %formed.block.block.id,
                    nominate_to_externalize_ms = st.nominate_to_externalize_ms_last,
                    slots_timed = st.slots_timed,
                    messages_received = st.messages_received,
                    "formed block"
                );
                self.metrics.externalized(slot);
                self.append(formed.block).await
            }
            Err(e @ EnclaveCallError::Dead { .. }) => Err(Fatal::Enclave(e)),
            Err(e) => {
                // The network agreed on this slot; a node whose enclave cannot form it falls
                // behind and catches up from its peers' signed blocks.
                tracing::error!(slot, error = %e, "the enclave refused to form the agreed block");
                Ok(())
            }
        }
    }

    /// Appends a block the engine accepted during catch-up, then shows it to the enclave so
    /// that the chain it tracks (and extends in `FormBlock`) follows the ledger.
    async fn append_fetched(&mut self, block: mcnode_ledger::BlockData) -> Result<(), Fatal> {
        // The engine may have queued this block while the node formed the same slot itself
        // (both the catch-up answer and the peers' EXTERNALIZE arrived): the same block is
        // already in the ledger then, and appending it again must not stop the node. A
        // different block at that index would be a fork: that stops it.
        let (index, id) = (block.block.index, block.block.id);
        let held = self
            .ledger
            .with(move |l| -> Result<Option<BlockId>, String> {
                if index >= l.num_blocks().map_err(|e| e.to_string())? {
                    return Ok(None);
                }
                let held = l.block_header(index).map_err(|e| e.to_string())?;
                Ok(Some(held.map(|b| b.id).ok_or("a block below the height is missing")?))
            })
            .await
            .map_err(|e| Fatal::Ledger(e.to_string()))?
            .map_err(Fatal::Ledger)?;
        match held {
            Some(h) if h == id => {
                tracing::info!(
                    index,
                    "caught-up block already in the ledger (formed here meanwhile)"
                );
                return Ok(());
            }
            Some(h) => {
                return Err(Fatal::Ledger(format!(
                    "fork: a caught-up block {id} at index {index} differs from the ledger's {h}"
                )));
            }
            None => {}
        }
        let frontier = self
            .ledger
            .with(|l| -> Result<_, String> {
                let parent = l.last_block().map_err(|e| e.to_string())?.ok_or("empty ledger")?;
                frontier(&*l, &parent).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| Fatal::Ledger(e.to_string()))?
            .map_err(Fatal::Ledger)?;
        let shown = block.clone();
        let index = block.block.index;
        self.append(block).await?;
        match self.enclave.call(move |e| e.show_block(shown, frontier)).await {
            Ok(_) => Ok(()),
            Err(e @ EnclaveCallError::Dead { .. }) => Err(Fatal::Enclave(e)),
            Err(e) => {
                tracing::error!(index, error = %e, "the enclave refused a caught-up block");
                Ok(())
            }
        }
    }

    async fn append(&mut self, block: mcnode_ledger::BlockData) -> Result<(), Fatal> {
        let b = block.clone();
        self.ledger
            .with(move |l| l.append_block(&b))
            .await
            .map_err(|e| Fatal::Ledger(e.to_string()))?
            .map_err(|e| Fatal::Ledger(e.to_string()))?;
        let index = block.block.index;
        self.status.block_appended(&block, Clock::unix_secs());
        if let Err(e) = self.engine.handle(self.clock.now(), Input::BlockAppended { block }) {
            tracing::error!(index, error = %e, "engine refused an appended block");
        }
        Ok(())
    }

    fn publish(&mut self) {
        self.status.publish(&self.engine);
        self.metrics.observe(&self.engine);
        self.metrics.observe_status(&self.status);
    }
}

/// Completes when `stop` turns true (or its sender is gone).
pub async fn until_stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn until_dead(dead: &mut watch::Receiver<Option<String>>) -> String {
    match dead.wait_for(|d| d.is_some()).await {
        Ok(r) => r.clone().unwrap_or_default(),
        // The enclave thread is gone without a recorded reason.
        Err(_) => "the enclave thread ended".to_owned(),
    }
}

async fn sleep_until(clock: &Clock, t: Option<Time>) {
    if let Some(t) = t {
        tokio::time::sleep_until(clock.instant(t)).await;
    }
}
