//! The engine's inputs and outputs: events the runtime hands in ([`Input`]) and the actions it
//! must carry out ([`Action`]).

use std::ops::Range;

use mcnode_enclave::host_types::{WellFormedEncryptedTx, WellFormedTxContext};
use mcnode_ledger::block::BlockData;
use mcnode_scp::{QuorumSet, Statement, Time, TimerId, TxHashSet};
use mcnode_types::{Hash32, NodeId, SlotIndex};

use super::envelope::Wire;
use super::pool::{PoolError, PooledTx};

/// A timer of the engine. `SetTimer` for an id replaces its earlier deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EngineTimer {
    /// A timer of the SCP core (nomination round or ballot).
    Scp(TimerId),
    /// The block interval has passed: nominate the pending transactions.
    Nominate,
    /// Re-broadcast the latest own statements of a slot that makes no progress.
    Rebroadcast,
    /// Re-check whether the node is behind (end of the grace period) and retry block fetches.
    CatchUp,
    /// Ask again for transaction bodies that did not arrive.
    FetchRetry,
}

/// Something that happened, handed to [`super::Engine::handle`].
#[derive(Clone, Debug)]
pub enum Input {
    /// A client transaction this node's enclave found well formed and the runtime found fresh
    /// against the ledger (key images unspent, outputs new).
    ClientTx {
        /// Host-visible context.
        context: WellFormedTxContext,
        /// Enclave ciphertext.
        payload: WellFormedEncryptedTx,
    },
    /// The same, for a transaction a peer relayed (already checked by this node's enclave).
    PeerTx {
        /// The peer that relayed it.
        from: NodeId,
        /// Host-visible context.
        context: WellFormedTxContext,
        /// Enclave ciphertext.
        payload: WellFormedEncryptedTx,
    },
    /// A consensus message (encoded [`super::ScpEnvelope`]) received from a connected peer.
    PeerMessage {
        /// The peer that sent it (not necessarily its signer).
        from: NodeId,
        /// The bytes as received.
        bytes: Vec<u8>,
    },
    /// Bodies the engine asked for with [`Action::FetchTxs`], each checked by this node's
    /// enclave and against the ledger; bodies it did not ask for are ignored.
    TxsFetched {
        /// The peer that answered.
        from: NodeId,
        /// The transactions.
        txs: Vec<PooledTx>,
    },
    /// Blocks a peer sent in answer to [`Action::FetchBlocks`] (its own signatures included).
    BlocksFetched {
        /// The peer that answered.
        from: NodeId,
        /// The blocks, any order.
        blocks: Vec<BlockData>,
    },
    /// A deadline the engine set passed.
    Timer(EngineTimer),
    /// A peer connection (re)opened.
    PeerConnected(NodeId),
    /// A peer connection closed.
    PeerDisconnected(NodeId),
    /// A peer's attested handshake completed: its enclave signs blocks with `block_signer`.
    PeerAttested {
        /// The peer's node id (message key).
        node: NodeId,
        /// Public key of its enclave's block-signing key.
        block_signer: NodeId,
    },
    /// The runtime appended this block to the ledger (one it formed on [`Action::FormBlock`],
    /// or one of [`Action::AppendBlock`]).
    BlockAppended {
        /// The block as appended.
        block: BlockData,
    },
    /// A peer's answer to [`Action::FetchQuorumSet`] (the runtime checked it hashes to the
    /// hash asked for; the engine checks again and refuses sets nobody asked for).
    QuorumSet {
        /// The set.
        quorum_set: QuorumSet,
    },
}

/// Something the runtime must do, taken with [`super::Engine::poll_action`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send a consensus message to one peer.
    Send {
        /// The peer.
        to: NodeId,
        /// Encoded envelope.
        msg: Wire,
    },
    /// Send a consensus message to every connected peer not in `except`.
    Broadcast {
        /// Encoded envelope.
        msg: Wire,
        /// For a relayed message: the peer it came from and its signer, who have it already
        /// (sorted; empty for an own message).
        except: Vec<NodeId>,
    },
    /// Relay the pooled transaction `hash` to these peers (the runtime asks the enclave to
    /// encrypt it for each peer session: MobileCoin `PeerTxPropose`).
    RelayTx {
        /// The transaction.
        hash: Hash32,
        /// The peers.
        to: Vec<NodeId>,
    },
    /// Ask these peers for transaction bodies (`GetTxs`); answers come as
    /// [`Input::TxsFetched`]. The runtime may ask them one after another.
    FetchTxs {
        /// Peers to ask, best first.
        from: Vec<NodeId>,
        /// The hashes.
        hashes: Vec<Hash32>,
    },
    /// Slot `slot` externalized: ask the enclave to form the block of these transactions
    /// (in the value's hash order) on the ledger tip, append it, then report
    /// [`Input::BlockAppended`]. The engine waits for that report; a runtime that cannot form
    /// or append an agreed block must stop (fail-stop, DESIGN.md), not carry on.
    FormBlock {
        /// The slot (= index of the block to form).
        slot: SlotIndex,
        /// The agreed transactions.
        txs: Vec<PooledTx>,
    },
    /// The node is behind: ask these peers for the blocks with these indices (`GetBlocks`);
    /// answers come as [`Input::BlocksFetched`].
    FetchBlocks {
        /// Peers to ask.
        from: Vec<NodeId>,
        /// Block indices.
        range: Range<u64>,
    },
    /// Append this verified block (catch-up), then report [`Input::BlockAppended`]. The ledger
    /// still checks what the engine cannot (Merkle root, key images unspent); a block signed by
    /// a quorum slice that the ledger refuses means the slice is faulty: stop and say so.
    AppendBlock {
        /// Header, contents and the signatures that made it acceptable.
        block: BlockData,
    },
    /// Persist these as the node's latest own statements for `slot` (replacing earlier ones),
    /// before sending anything that depends on them; hand them to `Engine::new` after a restart.
    PersistStatements {
        /// The slot.
        slot: SlotIndex,
        /// Nomination and/or ballot statement.
        statements: Vec<Statement<TxHashSet>>,
    },
    /// Deliver [`Input::Timer`]`(timer)` at or after `deadline`.
    SetTimer {
        /// The timer.
        timer: EngineTimer,
        /// When.
        deadline: Time,
    },
    /// The timer is no longer needed.
    CancelTimer {
        /// The timer.
        timer: EngineTimer,
    },
    /// Whether the client API should accept transactions (`false` while catching up:
    /// `NotServing`).
    Serving(bool),
    /// Ask `from` for the quorum set with `hash` (named by a statement `from` sent); answer
    /// with [`Input::QuorumSet`]. Nothing to do if it does not answer: the engine asks again
    /// when another statement names the hash after the fetch-retry period.
    FetchQuorumSet {
        /// The peer that sent the statement.
        from: NodeId,
        /// The quorum set's hash.
        hash: Hash32,
    },
}

/// Why an input was refused. A refused input changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The pool refused the transaction.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The node is catching up and takes no client transactions.
    #[error("not serving: catching up")]
    NotServing,
    /// A quorum set nobody asked for (or already adopted).
    #[error("quorum set {hash} was not asked for")]
    UnrequestedQuorumSet {
        /// Its hash.
        hash: Hash32,
    },
    /// A requested quorum set the SCP core refuses (insane).
    #[error("quorum set {hash} refused: {reason}")]
    BadQuorumSet {
        /// Its hash.
        hash: Hash32,
        /// Why.
        reason: String,
    },
    /// A `BlockAppended` that does not extend the engine's tip.
    #[error("appended block {index} does not extend the tip {tip}")]
    NotNextBlock {
        /// The block's index.
        index: u64,
        /// The engine's tip index.
        tip: u64,
    },
    /// A key image of the transaction was spent by a block appended since the runtime checked
    /// it against the ledger (its check raced the append; most often a late relay or fetch of
    /// a transaction that block included). Pooled, it could never be included and would make
    /// every value this node nominates unacceptable to its peers.
    #[error("transaction {hash} spends a key image an appended block spent")]
    KeyImageSpent {
        /// The transaction's hash.
        hash: Hash32,
    },
}
