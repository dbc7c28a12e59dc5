//! The node engine: a deterministic, sans-io state machine that runs one validator — its
//! transaction pool, block cadence, SCP (through [`mcnode_scp::Node`]), message signing and
//! flooding, transaction relay, re-broadcast, and catch-up — in the shape of `mcnode-scp`,
//! quinn-proto and raft-rs.
//!
//! # Contract
//! - **No I/O, no clock, no randomness.** Every input carries `now` ([`Time`], milliseconds on
//!   the caller's timeline); [`Engine::handle`] changes state and queues [`Action`]s that the
//!   driver takes with [`Engine::poll_action`] and carries out (send, relay, fetch, form or
//!   append a block, persist, arm a timer). The only cryptography inside is Ed25519 signing and
//!   verification, which is deterministic: the same inputs give the same actions, bit for bit.
//! - **The runtime does the enclave and the ledger.** A transaction reaches the engine only after
//!   this node's enclave found it well formed and the runtime checked its key images unspent and
//!   outputs new ([`Input::ClientTx`], [`Input::PeerTx`], [`Input::TxsFetched`]). Blocks are
//!   formed by the enclave ([`Action::FormBlock`]) and appended by the runtime, which reports
//!   every append ([`Input::BlockAppended`]); the engine's ledger tip only moves then.
//! - **A refused input changes nothing** and says why ([`InputError`]); a dropped peer message
//!   is counted by cause ([`DropCounters`], [`DropCause`]).
//! - Persist every [`Action::PersistStatements`] before acting on later actions; after a restart
//!   build the engine with [`Engine::new`] from the ledger tip and those statements.
//!
//! # Rules and where they come from
//! - Pool ([`pool`]): whole-transaction hash keys, `OverCapacity` at 500, tombstone and
//!   key-image pruning, fee-priority-then-age order, `max_values_per_slot` per block
//!   (MobileCoin `pending_values.rs`, `PENDING_LIMIT`, `MAX_PENDING_VALUES_TO_NOMINATE`).
//!   A transaction spending a key image that a recently appended block spent is refused
//!   ([`InputError::KeyImageSpent`]): the runtime's ledger check can race the append, and a
//!   pooled copy would make SCP refuse every value this node proposes (MobileCoin and
//!   stellar-core re-check pending transactions against each new ledger).
//! - Cadence: nominate when transactions are pending and `block_interval` passed since the last
//!   block, or at once when a full block is pending; never an empty block (MobileCoin
//!   `byzantine_ledger/worker.rs` proposes only pending values). A node that has not started the
//!   slot joins as soon as a peer nominates in it (otherwise the SCP core ignores nominations).
//! - Messages ([`envelope`]): signed over (chain id, slot, previous block id, statement) and
//!   verified before SCP sees them; unsigned, mis-signed, other-chain, stale, wrong-parent,
//!   malformed and duplicate messages are dropped and counted (MobileCoin
//!   `peers/src/consensus_msg.rs`, `scp_messages_dropped_due_to_invalid_prev_block_id`).
//!   Flooding with dedup (a bounded memory of (signer, signature) keys of checked messages,
//!   `seen.rs`): a new, well-signed message
//!   that SCP accepts, or that waits for its slot or its bodies, is relayed to every peer but
//!   the one it came from and its signer (MobileCoin `threaded_broadcaster.rs`); a statement of
//!   a node outside the known network is relayed only if well-signed, and never processed.
//!   Statements for the next few slots wait in a bounded buffer until the node gets there.
//! - Values ([`driver`]): `TxHashSet`s; a statement whose values name a transaction this node
//!   has not validated waits while the engine fetches the body from the peer that sent it
//!   (MobileCoin `GetTxs`; stellar-core `PendingEnvelopes` holds envelopes until their tx sets
//!   arrive), so SCP only ever sees values this node can judge.
//! - Externalize: the agreed bodies (fetched first if missing) go to [`Action::FormBlock`];
//!   [`Input::BlockAppended`] prunes the pool and opens the next slot.
//! - Liveness after faults (stellar-core `HerderImpl::sendSCPStateToPeer` on connect and
//!   `HerderImpl::rebroadcast` on a timer): a (re)connected peer gets the latest own statements
//!   of the current slot and the last own EXTERNALIZE; while a slot makes no progress the own
//!   latest statements are re-broadcast every `rebroadcast_interval`; a peer that still
//!   speaks about an older slot (and was never seen further on) is answered with this node's
//!   EXTERNALIZE for it and its latest one (stellar-core answers `GET_SCP_STATE` with old
//!   slots' messages). So a halted network resumes once enough nodes return, even if nobody
//!   has anything new to say.
//! - Catch-up (`catchup.rs`, MobileCoin `ledger/sync` and `IS_BEHIND_GRACE_PERIOD`): when peers
//!   on higher slots form a blocking set and a quorum (the node never counts itself) for
//!   `catchup_grace`, the node stops serving clients, fetches the missing blocks, and appends a
//!   block only when its id is signed by the attested enclaves of a quorum slice of its own
//!   quorum set (each signature checked against the block-signing key from
//!   [`Input::PeerAttested`]), it links to the tip, and its contents hash matches.
//! - Restart: [`Engine::new`] takes the ledger tip and the persisted last own statements of the
//!   next slot and restores them into SCP (`mcnode_scp::Node::restore`, stellar-core
//!   `setStateFromEnvelope`).
//!
//! # Driving it
//! The runtime (tokio in production, virtual time in tests and the simulator) loops: hand in
//! each event with [`Engine::handle`], carry out every [`Engine::poll_action`], and fire timers
//! ([`Input::Timer`] per [`Action::SetTimer`], or [`Engine::handle_due_timers`] at
//! [`Engine::next_deadline`]). A one-node network, from transaction to block:
//! ```
//! use std::collections::BTreeMap;
//! use mcnode_crypto::SigningIdentity;
//! use mcnode_enclave::host_types::{WellFormedEncryptedTx, WellFormedTxContext};
//! use mcnode_ledger::block::{Block, BlockContents, BlockData};
//! use mcnode_node::engine::{Action, Engine, EngineConfig, Input, Tip};
//! use mcnode_scp::{QuorumSet, Time};
//! use mcnode_tx::KeyImage;
//! use mcnode_types::{Hash32, NodeId};
//!
//! let key = SigningIdentity::from_seed(&[1; 32]);
//! let me = NodeId(key.verifying().to_bytes());
//! let config = EngineConfig::new("demo", key, QuorumSet::singleton(me), BTreeMap::new());
//! let origin = Block::new(1, None, Hash32::ZERO, &BlockContents::default());
//! let mut engine = Engine::new(config, Tip { index: 0, id: origin.id }, vec![], Time(0))?;
//!
//! // What the enclave returned for a client transaction (and the ledger checks passed).
//! let context = WellFormedTxContext {
//!     tx_hash: Hash32([7; 32]),
//!     key_images: vec![KeyImage::from([7; 32])],
//!     output_public_keys: vec![],
//!     tombstone: 100,
//!     priority: 128,
//!     highest_index: 0,
//!     leaf_count: 0,
//!     size: 10,
//! };
//! let payload = WellFormedEncryptedTx(vec![]);
//! engine.handle(Time(0), Input::ClientTx { context, payload })?;
//!
//! let mut formed = None;
//! while formed.is_none() {
//!     while let Some(action) = engine.poll_action() {
//!         if let Action::FormBlock { txs, .. } = action {
//!             // The enclave forms and signs the block; the runtime appends it.
//!             let kis = txs.iter().flat_map(|t| t.context.key_images.clone()).collect();
//!             let contents = BlockContents::new(kis, vec![]);
//!             let block = Block::new(1, Some(&origin), Hash32::ZERO, &contents);
//!             formed = Some(BlockData { block, contents, signatures: vec![] });
//!         } // else: send, persist, arm timers, ...
//!     }
//!     if formed.is_none() {
//!         let Some(at) = engine.next_deadline() else { break };
//!         engine.handle_due_timers(at); // the 5 s block interval, then SCP's own timers
//!     }
//! }
//! let block = formed.ok_or("no block")?;
//! engine.handle(Time(5_000), Input::BlockAppended { block })?;
//! assert_eq!(engine.current_slot(), 2);
//! assert!(engine.pool().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod auth;
mod catchup;
pub mod config;
mod consensus;
pub mod driver;
pub mod envelope;
pub mod io;
mod messages;
pub mod pool;
pub mod qsets;
mod seen;
pub mod status;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use mcnode_ledger::block::BlockId;
use mcnode_scp::{
    Node, Output, QuorumSetError, RestoreError, SlotInfo, Statement, Time, TxHashSet,
};
use mcnode_types::{Hash32, NodeId, SlotIndex};

pub use auth::{Ed25519Auth, MessageAuth};
pub use config::{ConfigError, EngineConfig};
pub use driver::NodeDriver;
pub use envelope::{DropCause, DropCounters, ScpEnvelope, Wire};
pub use io::{Action, EngineTimer, Input, InputError};
pub use messages::MAX_SEEN;
pub use pool::{PoolError, PooledTx, TxPool};
pub use status::{EngineStatus, PeerStatus, SyncStatus};

use catchup::CatchUp;

/// The ledger's last block, as the engine needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    /// Its index (0 for the origin block).
    pub index: u64,
    /// Its id.
    pub id: BlockId,
}

/// Why [`Engine::new`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// A configuration value the engine cannot work with.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The node's or a peer's quorum set is not valid.
    #[error("invalid quorum set: {0}")]
    QuorumSet(#[from] QuorumSetError),
    /// A persisted statement could not be restored.
    #[error("cannot restore a persisted statement: {0}")]
    Restore(#[from] RestoreError),
}

/// Latest own envelopes of one slot: nomination and ballot statement.
#[derive(Clone, Debug, Default)]
struct OwnMsgs {
    nominate: Option<Wire>,
    ballot: Option<Wire>,
    externalized: bool,
}

/// Counters the runtime exports besides the drop counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Messages relayed to peers.
    pub relayed: u64,
    /// Re-broadcasts of a stuck slot's statements.
    pub rebroadcasts: u64,
    /// Catch-ups started.
    pub catchups: u64,
    /// Fetched blocks refused (bad id, contents hash, link or signatures).
    pub blocks_refused: u64,
    /// Blocks appended (formed or fetched).
    pub blocks_appended: u64,
    /// Peer SCP messages received (every copy, duplicates and drops included).
    pub messages_received: u64,
    /// Slots this node externalized after taking part in their nomination.
    pub slots_timed: u64,
    /// Milliseconds (engine time) from this node's nomination start to externalize, summed
    /// over `slots_timed` slots.
    pub nominate_to_externalize_ms_total: u64,
    /// The same for the last such slot.
    pub nominate_to_externalize_ms_last: u64,
}

/// How far ahead of the current slot statements are buffered.
pub const MAX_SLOTS_AHEAD: SlotIndex = 4;
/// Most buffered statements (future slots plus statements waiting for bodies).
pub const MAX_BUFFERED: usize = 4096;
/// Most buffered statements of one signer (so one node cannot fill the buffer for all).
pub const MAX_BUFFERED_PER_SIGNER: usize = 32;
/// Own EXTERNALIZE messages kept to answer peers that lag behind.
const KEPT_SLOTS: SlotIndex = 8;

/// The engine. See the module documentation for its contract.
pub struct Engine {
    cfg: EngineConfig,
    auth: Arc<dyn MessageAuth>,
    id: NodeId,
    scp: Node<TxHashSet, NodeDriver>,
    pool: TxPool,
    tip: Tip,
    last_block_at: Time,
    nominated: bool,
    /// When this node started nominating in the current slot.
    nominated_at: Option<Time>,
    forming: Option<TxHashSet>,
    form_requested: bool,
    connected: BTreeSet<NodeId>,
    peer_slots: BTreeMap<NodeId, SlotIndex>,
    seen: HashMap<seen::SeenKey, SlotIndex>,
    future: BTreeMap<SlotIndex, Vec<(NodeId, ScpEnvelope, Wire)>>,
    waiting: Vec<(NodeId, ScpEnvelope)>,
    qset_waiting: Vec<(NodeId, ScpEnvelope)>,
    qsets: BTreeMap<NodeId, mcnode_scp::QuorumSet>,
    wanted_qsets: BTreeMap<Hash32, qsets::Wanted>,
    wanted: BTreeMap<Hash32, BTreeSet<NodeId>>,
    own: BTreeMap<SlotIndex, OwnMsgs>,
    last_progress: Time,
    catchup: CatchUp,
    timers: BTreeMap<EngineTimer, Time>,
    actions: VecDeque<Action>,
    drops: DropCounters,
    stats: EngineStats,
    serving: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("id", &self.id)
            .field("tip", &self.tip)
            .field("pool", &self.pool.len())
            .field("serving", &self.serving)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine on ledger tip `tip`, restoring `persisted` (the last own statements the node
    /// persisted; those not for slot `tip.index + 1` are ignored). `now` starts the block
    /// interval. Queues `Serving(true)` and, if statements were restored, their re-broadcast.
    pub fn new(
        cfg: EngineConfig,
        tip: Tip,
        persisted: Vec<Statement<TxHashSet>>,
        now: Time,
    ) -> Result<Engine, EngineError> {
        let auth = Arc::new(Ed25519Auth::new(cfg.message_key.clone()));
        Self::build(cfg, auth, tip, persisted, now)
    }

    /// [`Engine::new`] with another message authenticator: the node signs and checks
    /// envelopes with `auth` (its id is `auth.node_id()`; `cfg.message_key` is unused).
    /// Only with the `sim` feature, for the simulator (see [`auth`]).
    #[cfg(feature = "sim")]
    pub fn with_auth(
        cfg: EngineConfig,
        auth: Arc<dyn MessageAuth>,
        tip: Tip,
        persisted: Vec<Statement<TxHashSet>>,
        now: Time,
    ) -> Result<Engine, EngineError> {
        Self::build(cfg, auth, tip, persisted, now)
    }

    fn build(
        cfg: EngineConfig,
        auth: Arc<dyn MessageAuth>,
        tip: Tip,
        persisted: Vec<Statement<TxHashSet>>,
        now: Time,
    ) -> Result<Engine, EngineError> {
        cfg.validate()?;
        let id = auth.node_id();
        let mut scp = Node::new(
            id,
            cfg.quorum_set.clone(),
            cfg.scp.clone(),
            NodeDriver::new(cfg.max_values_per_slot),
        )?;
        for q in cfg.network.values() {
            scp.add_quorum_set(q.clone())?;
        }
        let slot = tip.index.saturating_add(1);
        scp.purge_slots_below(slot);
        let mut restored = Vec::new();
        for st in persisted.into_iter().filter(|s| s.slot == slot) {
            scp.restore(st.clone())?;
            restored.push(st);
        }
        let pool = TxPool::new(cfg.pool_capacity);
        let mut e = Engine {
            auth,
            id,
            scp,
            pool,
            tip,
            last_block_at: now,
            nominated: false,
            nominated_at: None,
            forming: None,
            form_requested: false,
            connected: BTreeSet::new(),
            peer_slots: BTreeMap::new(),
            seen: HashMap::new(),
            future: BTreeMap::new(),
            waiting: Vec::new(),
            qset_waiting: Vec::new(),
            qsets: cfg.network.clone(),
            wanted_qsets: BTreeMap::new(),
            wanted: BTreeMap::new(),
            own: BTreeMap::new(),
            last_progress: now,
            catchup: CatchUp::default(),
            timers: BTreeMap::new(),
            actions: VecDeque::new(),
            drops: DropCounters::default(),
            stats: EngineStats::default(),
            serving: true,
            cfg,
        };
        // Purging queued cancels of timers that never existed; start clean, keeping a decision
        // the core re-reports for a restored EXTERNALIZE.
        let decided = e.scp.drain_outputs().into_iter().find_map(|o| match o {
            Output::Externalized { slot: s, value } if s == slot => Some(value),
            _ => None,
        });
        e.actions.push_back(Action::Serving(true));
        // A restored slot is not "nominated": the SCP core restores votes, not the running
        // rounds, so the node nominates again (or joins a peer's nomination) as usual.
        for st in restored {
            e.record_own(st);
        }
        if e.own.get(&slot).is_some_and(|o| o.nominate.is_some() || o.ballot.is_some()) {
            e.set_timer(EngineTimer::Rebroadcast, now.saturating_add(e.cfg.rebroadcast_interval));
        }
        // Crashed after the slot externalized but before its block was appended: form it now
        // (fetching the bodies, which died with the pool).
        if let Some(value) = decided {
            e.forming = Some(value);
            e.try_form(now);
        }
        Ok(e)
    }

    /// Handles one input at time `now`. On error nothing changed.
    pub fn handle(&mut self, now: Time, input: Input) -> Result<(), InputError> {
        match input {
            Input::ClientTx { context, payload } => {
                if !self.serving {
                    return Err(InputError::NotServing);
                }
                self.add_tx(now, None, PooledTx { context, payload })
            }
            Input::PeerTx { from, context, payload } => {
                self.add_tx(now, Some(from), PooledTx { context, payload })
            }
            Input::PeerMessage { from, bytes } => {
                self.on_peer_message(now, from, bytes);
                Ok(())
            }
            Input::TxsFetched { from, txs } => {
                self.on_txs_fetched(now, from, txs);
                Ok(())
            }
            Input::BlocksFetched { from, blocks } => {
                self.on_blocks_fetched(now, from, blocks);
                Ok(())
            }
            Input::Timer(timer) => {
                self.on_timer(now, timer);
                Ok(())
            }
            Input::PeerConnected(peer) => {
                self.on_peer_connected(peer);
                Ok(())
            }
            Input::PeerDisconnected(peer) => {
                self.connected.remove(&peer);
                Ok(())
            }
            Input::PeerAttested { node, block_signer } => {
                self.catchup.attest(node, block_signer);
                Ok(())
            }
            Input::BlockAppended { block } => self.on_block_appended(now, block),
            Input::QuorumSet { quorum_set } => self.on_quorum_set(now, quorum_set),
        }
    }

    /// Takes the next action.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Takes every queued action.
    pub fn drain_actions(&mut self) -> Vec<Action> {
        self.actions.drain(..).collect()
    }

    /// The earliest armed timer deadline (a driver may sleep until then).
    pub fn next_deadline(&self) -> Option<Time> {
        self.timers.values().min().copied()
    }

    /// Fires every timer whose deadline is at or before `now` (for a driver that sleeps until
    /// [`Engine::next_deadline`] rather than tracking each [`Action::SetTimer`]).
    pub fn handle_due_timers(&mut self, now: Time) {
        loop {
            let due = self.timers.iter().find(|(_, d)| **d <= now).map(|(t, _)| *t);
            let Some(timer) = due else { break };
            self.on_timer(now, timer);
        }
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.id
    }

    /// The ledger tip the engine builds on.
    pub fn tip(&self) -> Tip {
        self.tip
    }

    /// The slot being decided (= index of the next block).
    pub fn current_slot(&self) -> SlotIndex {
        self.tip.index.saturating_add(1)
    }

    /// The pool.
    pub fn pool(&self) -> &TxPool {
        &self.pool
    }

    /// Dropped messages by cause.
    pub fn drops(&self) -> &DropCounters {
        &self.drops
    }

    /// Other counters.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Whether the client API should take transactions.
    pub fn is_serving(&self) -> bool {
        self.serving
    }

    /// Blocks this node knows it is behind by (0 when in step).
    pub fn blocks_behind(&self) -> u64 {
        let highest = self.peer_slots.values().copied().max().unwrap_or(0);
        highest.saturating_sub(self.current_slot())
    }

    /// Highest slot each peer was seen at.
    pub fn peer_slots(&self) -> &BTreeMap<NodeId, SlotIndex> {
        &self.peer_slots
    }

    /// The SCP state of the current slot.
    pub fn slot_info(&self) -> Option<SlotInfo<TxHashSet>> {
        self.scp.slot_info(self.current_slot())
    }

    /// The latest statement of every node for the current slot.
    pub fn latest_statements(&self) -> Vec<Statement<TxHashSet>> {
        self.scp.latest_statements(self.current_slot())
    }

    /// Connected peers.
    pub fn connected_peers(&self) -> &BTreeSet<NodeId> {
        &self.connected
    }

    fn set_timer(&mut self, timer: EngineTimer, deadline: Time) {
        if self.timers.get(&timer) == Some(&deadline) {
            return;
        }
        self.timers.insert(timer, deadline);
        self.actions.push_back(Action::SetTimer { timer, deadline });
    }

    fn cancel_timer(&mut self, timer: EngineTimer) {
        if self.timers.remove(&timer).is_some() {
            self.actions.push_back(Action::CancelTimer { timer });
        }
    }

    fn on_timer(&mut self, now: Time, timer: EngineTimer) {
        match self.timers.get(&timer) {
            Some(d) if *d <= now => {
                self.timers.remove(&timer);
            }
            _ => return, // cancelled, re-armed later, or early
        }
        match timer {
            EngineTimer::Scp(_) => {
                self.scp.handle_timeouts(now);
                self.drain_scp(now);
            }
            EngineTimer::Nominate => self.maybe_nominate(now),
            EngineTimer::Rebroadcast => self.rebroadcast(now),
            EngineTimer::CatchUp => self.on_catchup_timer(now),
            EngineTimer::FetchRetry => self.retry_fetches(now),
        }
    }

    fn set_serving(&mut self, serving: bool) {
        if self.serving != serving {
            self.serving = serving;
            self.actions.push_back(Action::Serving(serving));
        }
    }
}
