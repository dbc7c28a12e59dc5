//! Errors of ledger reads and appends.

use std::path::PathBuf;

use mcnode_crypto::CompressedPoint;
use mcnode_tx::KeyImage;
use mcnode_types::{DecodeError, Hash32, NodeId};

use crate::block::{BlockId, SignatureError};

/// Why `append_block` refused a block. The ledger is unchanged after any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    /// The block's index is not the ledger's height.
    #[error("block index {got} is not the next height {expected}")]
    WrongIndex {
        /// The ledger's height.
        expected: u64,
        /// The block's index.
        got: u64,
    },
    /// The block's parent id is not the id of the last block.
    #[error("parent id {got} is not the last block's id {expected}")]
    WrongParent {
        /// The last block's id (all zero before the origin block).
        expected: BlockId,
        /// The block's parent id.
        got: BlockId,
    },
    /// A block version this code does not know.
    #[error("block version {got} is not supported (this ledger accepts {supported})")]
    UnsupportedVersion {
        /// The block's version.
        got: u32,
        /// The version accepted.
        supported: u32,
    },
    /// Key images or outputs not strictly ascending (unsorted or duplicated).
    #[error("block contents are not sorted or hold duplicates")]
    NotCanonical,
    /// More key images, outputs or signatures than a block may hold.
    #[error("block holds {got} {what}, more than the limit {max}")]
    TooLarge {
        /// What is too many.
        what: &'static str,
        /// How many.
        got: usize,
        /// The limit.
        max: u32,
    },
    /// `contents_hash` does not match the contents.
    #[error("contents hash {claimed} does not match the contents ({actual})")]
    ContentsHashMismatch {
        /// In the header.
        claimed: Hash32,
        /// Recomputed.
        actual: Hash32,
    },
    /// `cumulative_txo_count` is not the previous count plus this block's outputs.
    #[error("cumulative output count {got} should be {expected}")]
    CumulativeCountMismatch {
        /// Recomputed.
        expected: u64,
        /// In the header.
        got: u64,
    },
    /// `root_element` is not the Merkle root after appending this block's outputs.
    #[error("Merkle root {claimed} should be {actual}")]
    RootMismatch {
        /// In the header.
        claimed: Hash32,
        /// Recomputed.
        actual: Hash32,
    },
    /// The id does not hash the header fields.
    #[error("block id {claimed} should be {actual}")]
    IdMismatch {
        /// In the header.
        claimed: BlockId,
        /// Recomputed.
        actual: BlockId,
    },
    /// A key image was already spent.
    #[error("key image {} was already spent in block {block}", hex_of(.key_image.as_bytes()))]
    KeyImageSpent {
        /// The key image.
        key_image: KeyImage,
        /// The block that spent it.
        block: u64,
    },
    /// An output's public key is already in the ledger.
    #[error("output public key {} is already in the ledger at index {index}", hex_of(.public_key.as_bytes()))]
    DuplicateOutput {
        /// The public key.
        public_key: CompressedPoint,
        /// Global index of the existing output.
        index: u64,
    },
    /// Two signatures by the same node.
    #[error("block carries two signatures by {signer}")]
    DuplicateSigner {
        /// The signer.
        signer: NodeId,
    },
    /// A signature does not verify.
    #[error("block signature rejected: {0}")]
    Signature(#[from] SignatureError),
}

pub(crate) fn hex_of(b: &[u8; 32]) -> String {
    Hash32(*b).to_hex()
}

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The block was refused; nothing was written.
    #[error("block rejected: {0}")]
    Rejected(#[from] AppendError),
    /// The storage engine failed. A failed write is fatal for a node (fail-stop).
    #[error("ledger storage failed: {0}")]
    Storage(#[from] heed::Error),
    /// Stored data does not decode or is missing where the ledger's own invariants put it:
    /// the database is corrupt (run `mcnode ledger verify`).
    #[error("ledger data is corrupt: {what} at {key}")]
    Corrupt {
        /// Which record.
        what: &'static str,
        /// Its key (index or position).
        key: u64,
        /// The decode failure, if that is what happened.
        #[source]
        source: Option<DecodeError>,
    },
    /// An output index beyond the outputs asked about.
    #[error("output {index} is not among the {count} outputs")]
    NoSuchOutput {
        /// Index asked for.
        index: u64,
        /// Outputs in the tree asked about.
        count: u64,
    },
    /// A past tree size larger than the ledger.
    #[error("the ledger has {have} outputs, not {asked}")]
    NoSuchTreeSize {
        /// Size asked for.
        asked: u64,
        /// Outputs in the ledger.
        have: u64,
    },
    /// A thread rebuilding the in-memory indexes at open panicked.
    #[error("rebuilding the ledger's key indexes failed")]
    IndexBuild,
    /// Opening or creating the ledger failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The block was committed, but recording it as acknowledged (`mcnode-ledger.ack`) failed.
    /// Fatal for a node (fail-stop); the next open repairs the record from the database.
    #[error("block committed, but recording it as acknowledged failed: {0}")]
    AckWrite(#[source] OpenError),
}

impl LedgerError {
    /// True when the error says the stored data is damaged (as opposed to a refused block,
    /// a busy or missing ledger, or an I/O failure): undecodable or missing records, the
    /// storage engine finding its own pages invalid, a rollback, a damaged acknowledged-block
    /// record.
    pub fn is_corruption(&self) -> bool {
        use heed::MdbError as M;
        match self {
            LedgerError::Corrupt { .. } => true,
            LedgerError::Storage(heed::Error::Mdb(e)) => mdb_corruption(e),
            LedgerError::Open(OpenError::Env { source: heed::Error::Mdb(e), .. }) => {
                mdb_corruption(e) || matches!(e, M::VersionMismatch)
            }
            LedgerError::Open(
                OpenError::RolledBack { .. } | OpenError::AckRecordDamaged { .. },
            ) => true,
            _ => false,
        }
    }
}

/// LMDB errors that mean its own structures are damaged.
fn mdb_corruption(e: &heed::MdbError) -> bool {
    use heed::MdbError as M;
    matches!(
        e,
        M::Corrupted
            | M::PageNotFound
            | M::Invalid
            | M::Incompatible
            | M::BadValSize
            | M::Panic
            // Only this process maps the ledger (lock file), so a meta page naming more pages
            // than the map holds is damage, not another writer growing the map.
            | M::MapResized
            // LMDB's cursor setup ignores a failed root-page search (mdb_cursor_init) but marks
            // the transaction failed: the next call then reports BAD_TXN instead of CORRUPTED.
            // Nothing else in mcnode leaves a transaction failed and keeps using it.
            | M::BadTxn
    )
}

/// Why a ledger could not be opened or created.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Nothing at the path.
    #[error("no ledger at {path}: the path does not exist (create one with `mcnode ledger init`)")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// Something at the path, but not an mcnode ledger.
    #[error("{path} is not an mcnode ledger ({reason})")]
    NotALedger {
        /// The path.
        path: PathBuf,
        /// What is missing.
        reason: &'static str,
    },
    /// `create` on a path that already holds something.
    #[error("{path} already exists and is not an empty directory; refusing to overwrite it")]
    AlreadyExists {
        /// The path.
        path: PathBuf,
    },
    /// Another process (or another handle in this one) has the ledger open.
    #[error("ledger {path} is in use by another process (lock file {lock} is held)")]
    InUse {
        /// The ledger path.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// A database written by another schema version.
    #[error(
        "ledger {path} has schema version {found}; this build reads version {supported} only (no migration exists yet)"
    )]
    SchemaVersion {
        /// The path.
        path: PathBuf,
        /// Found in the database.
        found: u32,
        /// What this code reads.
        supported: u32,
    },
    /// A filesystem operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was attempted.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The database holds fewer blocks than the ledger acknowledged, or another block at the
    /// acknowledged height: it was rolled back (e.g. a damaged LMDB meta page made it open an
    /// earlier commit).
    #[error(
        "ledger {path} is ROLLED BACK: it acknowledged {recorded_height} blocks ending in {recorded_id}, but the database holds {found_height} blocks{}",
        match .found_id_at_recorded { Some(id) => format!(" and block {} is {id}", recorded_height.saturating_sub(1)), None => String::new() }
    )]
    RolledBack {
        /// The ledger path.
        path: PathBuf,
        /// Blocks acknowledged (the record).
        recorded_height: u64,
        /// Id of the last acknowledged block.
        recorded_id: BlockId,
        /// Blocks in the database.
        found_height: u64,
        /// The id the database holds at the last acknowledged height, when it differs.
        found_id_at_recorded: Option<BlockId>,
    },
    /// The acknowledged-block record does not decode.
    #[error(
        "the acknowledged-block record {path} is damaged ({reason}), so a rollback cannot be ruled out; if you trust the database as it is, delete this file and the next open records its state"
    )]
    AckRecordDamaged {
        /// The record file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// LMDB refused to open the environment.
    #[error("cannot open the database in {path}: {source}")]
    Env {
        /// The path.
        path: PathBuf,
        /// The engine error.
        #[source]
        source: heed::Error,
    },
}
