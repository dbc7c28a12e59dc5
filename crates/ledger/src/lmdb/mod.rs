//! The durable ledger on LMDB (heed 0.23).
//!
//! Layout: a ledger is a directory holding LMDB's `data.mdb` and `lock.mdb`, plus our own
//! `mcnode-ledger.lock`, which a process holds (an exclusive `flock`) for as long as it has the
//! ledger open, and `mcnode-ledger.ack`, the record of the highest acknowledged block, written
//! after each commit and compared with the database at open to detect a rollback ([`ack`]). Tables (named LMDB databases), keys big-endian so that LMDB's byte order is
//! numeric order:
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `b"schema"` | schema version, `u32` |
//! | `blocks` | index `u64` | [`StoredBlock`] (header, key images, signatures) |
//! | `block_ids` | id (32 B) | index `u64` |
//! | `outputs` | global index `u64` | `TxOut` |
//! | `merkle` | height `u8` ‖ position `u64` | complete inner node hash, heights `≥ 1` (see [`crate::merkle`]; a leaf is its output's `leaf_hash`) |
//!
//! Every table's keys grow with the chain (block index, global output index, node position;
//! block ids are one random key per block), so a block dirties only about as many pages as its
//! own bytes fill. The two indexes with random keys, output public key → global index and key
//! image → spending block, are NOT LMDB tables: 3,000 random inserts per block into tables of
//! a million keys dirty ~3,000 pages (12 MB) per fsync, which measured 56 ms per durable
//! 2,000-output block at only 100k outputs vs 14 ms without them (BENCHMARKS.md). They are
//! hash maps in memory, rebuilt when the ledger is opened by one sequential scan of the
//! `outputs` and `blocks` tables (both derived entirely from durable data, so a crash cannot
//! make them disagree with it), and updated after each commit. Cost: open time and memory
//! linear in the ledger (measured by `mcnode bench ledger`).
//!
//! One block = one LMDB write transaction: LMDB's copy-on-write B-trees and its double meta
//! page make the commit atomic (a crash leaves either the old or the new root page), and the
//! default flags fsync the data before the meta page, so a committed block survives power loss.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use heed::types::Bytes;
use heed::{CommitOrAbort, Database, Env, EnvOpenOptions, PutFlags, RoTxn, WithoutTls};
use mcnode_crypto::CompressedPoint;
use mcnode_tx::{KeyImage, TxOut};
use mcnode_types::{Decode, Encode, Hash32, Reader};

use crate::block::{Block, BlockData, BlockId, StoredBlock};
use crate::error::{LedgerError, OpenError};
use crate::merkle::NodeSource;
use crate::store::{self, StoreRead, TableCounts};
use crate::{Ledger, impl_ledger_view};

pub mod ack;
mod index;
use index::KeyIndex;

/// The schema version this code reads and writes.
pub const SCHEMA_VERSION: u32 = 1;
/// Name of the lock file inside the ledger directory.
pub const LOCK_FILE: &str = "mcnode-ledger.lock";
/// LMDB's data file.
pub const DATA_FILE: &str = "data.mdb";
/// Address space reserved for the map (LMDB grows the file only as pages are written).
pub const MAP_SIZE: usize = 1 << 40;

const TABLES: [&str; 5] = ["meta", "blocks", "block_ids", "outputs", "merkle"];
const SCHEMA_KEY: &[u8] = b"schema";

type Db = Database<'static, Bytes, Bytes>;

#[derive(Clone, Copy)]
struct Tables {
    meta: Db,
    blocks: Db,
    block_ids: Db,
    outputs: Db,
    merkle: Db,
}

impl Tables {
    fn from_array([meta, blocks, block_ids, outputs, merkle]: [Db; 5]) -> Self {
        Tables { meta, blocks, block_ids, outputs, merkle }
    }
}

/// A durable ledger in an LMDB environment.
pub struct LmdbLedger {
    env: Env<WithoutTls>,
    tables: Tables,
    index: KeyIndex,
    path: PathBuf,
    // Held (exclusively locked) for the lifetime of this value; the OS releases it when the
    // process dies, even by SIGKILL.
    _lock: File,
}

impl std::fmt::Debug for LmdbLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LmdbLedger").field("path", &self.path).finish_non_exhaustive()
    }
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> OpenError + 'a {
    move |source| OpenError::Io { op, path: path.to_path_buf(), source }
}

fn lock(path: &Path) -> Result<File, OpenError> {
    let lock_path = path.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io("cannot open the lock file", &lock_path))?;
    // `File::try_lock` (flock) is stable since Rust 1.89; the workspace MSRV says 1.88 but the
    // toolchain here is newer. The lock is per open file description, so a second open in the
    // same process is refused too.
    #[allow(clippy::incompatible_msrv)]
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(OpenError::InUse { path: path.to_path_buf(), lock: lock_path })
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io("cannot lock", &lock_path)(e)),
    }
}

/// Opens the LMDB environment in `path` (which must be locked by this process).
fn open_env(path: &Path) -> Result<Env<WithoutTls>, OpenError> {
    let mut options = EnvOpenOptions::new().read_txn_without_tls();
    options.map_size(MAP_SIZE).max_dbs(TABLES.len() as u32);
    // SAFETY: `EnvOpenOptions::open` is unsafe because the memory map must not be modified
    // behind LMDB's back (truncating or rewriting `data.mdb` while mapped is UB). We uphold it:
    // the caller holds the exclusive lock file of this directory, so no other mcnode process
    // has it open, and within this process the lock (per open file description) refuses a
    // second `LmdbLedger` on the same path; we use default flags (no NO_LOCK/NO_SYNC), and
    // nothing in mcnode writes `data.mdb` except through this environment.
    #[allow(unsafe_code)]
    let env = unsafe { options.open(path) };
    env.map_err(|source| OpenError::Env { path: path.to_path_buf(), source })
}

impl LmdbLedger {
    /// Creates an empty ledger (no blocks) in directory `path`, which must not exist or be
    /// an empty directory.
    pub fn create(path: &Path) -> Result<LmdbLedger, LedgerError> {
        if path.exists() {
            let empty = path.is_dir()
                && std::fs::read_dir(path).map_err(io("cannot read", path))?.next().is_none();
            if !empty {
                return Err(OpenError::AlreadyExists { path: path.to_path_buf() })?;
            }
        }
        std::fs::create_dir_all(path).map_err(io("cannot create", path))?;
        let lock = lock(path)?;
        let env = open_env(path)?;
        let wtxn = env.write_txn()?;
        let tables = env
            .create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
                let mut dbs = Vec::with_capacity(TABLES.len());
                for name in TABLES {
                    dbs.push(opener.create_database::<Bytes, Bytes>(wtxn, Some(name))?);
                }
                let meta = dbs[0];
                meta.put(wtxn, SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
                let arr: [_; 5] = std::array::from_fn(|i| dbs[i]);
                Ok(CommitOrAbort::<_, ()>::Commit(arr))
            })?
            .unwrap_commit();
        let rec = ack::AckRecord { schema: SCHEMA_VERSION, height: 0, last_id: BlockId::default() };
        ack::write(path, rec)?;
        Ok(LmdbLedger {
            env,
            index: KeyIndex::default(),
            tables: Tables::from_array(tables),
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// Opens an existing ledger. Refuses a missing path, a directory that is not a ledger, a
    /// ledger another process has open, another schema version, and a database behind its
    /// acknowledged-block record ([`OpenError::RolledBack`]; see [`ack`]). A database ahead
    /// of the record (a crash between a commit and the record write) repairs the record.
    pub fn open(path: &Path) -> Result<LmdbLedger, LedgerError> {
        if !path.exists() {
            return Err(OpenError::NotFound { path: path.to_path_buf() })?;
        }
        if !path.is_dir() {
            return Err(not_ledger(path, "not a directory"))?;
        }
        if !path.join(DATA_FILE).is_file() {
            return Err(not_ledger(path, "no data.mdb in it"))?;
        }
        let lock = lock(path)?;
        // A directory with our acknowledged-block record was a ledger: if its tables are gone
        // now, the database is damaged, not foreign.
        let missing = |reason| -> LedgerError {
            if path.join(ack::ACK_FILE).is_file() {
                LedgerError::Corrupt { what: reason, key: 0, source: None }
            } else {
                not_ledger(path, reason).into()
            }
        };
        let env = open_env(path)?;
        let rtxn = env.read_txn()?;
        let opened = env
            .open_databases_and_commit(rtxn, |opener, rtxn| -> Result<_, heed::Error> {
                let mut dbs = Vec::with_capacity(TABLES.len());
                for name in TABLES {
                    match opener.open_database::<Bytes, Bytes>(rtxn, Some(name))? {
                        Some(db) => dbs.push(db),
                        None => return Ok(CommitOrAbort::Abort(name)),
                    }
                }
                Ok(CommitOrAbort::Commit(std::array::from_fn::<_, 5, _>(|i| dbs[i])))
            })
            .map_err(|e| match e {
                // A data.mdb whose main table is not a table directory, e.g. another LMDB app.
                heed::Error::Mdb(heed::MdbError::Incompatible) => missing("foreign LMDB database"),
                e => e.into(),
            })?;
        let tables = match opened {
            CommitOrAbort::Commit(t) => Tables::from_array(t),
            CommitOrAbort::Abort(_) => return Err(missing("ledger tables missing")),
        };
        let rtxn = env.read_txn()?;
        let found = match tables.meta.get(&rtxn, SCHEMA_KEY)? {
            Some(v) => <[u8; 4]>::try_from(v).map(u32::from_be_bytes).map_err(|_| {
                LedgerError::Corrupt { what: "schema version", key: 0, source: None }
            })?,
            None => return Err(missing("no schema version")),
        };
        drop(rtxn);
        if found != SCHEMA_VERSION {
            // Our own record says which version wrote this database: if it is ours, the
            // schema field is damaged (a newer version rewrites the record with its own).
            if let Ok(Some(rec)) = ack::read(path)
                && rec.schema == SCHEMA_VERSION
            {
                return Err(LedgerError::Corrupt {
                    what: "schema version (differs from the acknowledged-block record's)",
                    key: u64::from(found),
                    source: None,
                });
            }
            return Err(OpenError::SchemaVersion {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            })?;
        }
        let index = KeyIndex::build(&env, &tables)?;
        let ledger = LmdbLedger { env, tables, index, path: path.to_path_buf(), _lock: lock };
        ack::check(path, SCHEMA_VERSION, &*ledger.snapshot()?)?;
        Ok(ledger)
    }

    /// The ledger directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the data file occupies on disk.
    pub fn disk_size(&self) -> Result<u64, LedgerError> {
        Ok(self.env.real_disk_size()?)
    }

    /// Overwrites the schema version (tests of the version check; migrations later).
    #[doc(hidden)]
    pub fn set_schema_version_for_tests(&mut self, v: u32) -> Result<(), LedgerError> {
        let mut w = self.env.write_txn()?;
        self.tables.meta.put(&mut w, SCHEMA_KEY, &v.to_be_bytes())?;
        w.commit()?;
        // As a build of version `v` would: its record names its version.
        let rec = ack::AckRecord::of(v, &*self.snapshot()?)?;
        ack::write(&self.path, rec).map_err(LedgerError::AckWrite)
    }
}

fn not_ledger(path: &Path, reason: &'static str) -> OpenError {
    OpenError::NotALedger { path: path.to_path_buf(), reason }
}

fn merkle_key(height: u32, pos: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = height as u8;
    k[1..].copy_from_slice(&pos.to_be_bytes());
    k
}

fn u64_value(what: &'static str, key: u64, v: &[u8]) -> Result<u64, LedgerError> {
    <[u8; 8]>::try_from(v).map(u64::from_be_bytes).map_err(|_| LedgerError::Corrupt {
        what,
        key,
        source: None,
    })
}

/// A read view over one LMDB transaction (read-only, or the write transaction of an append).
struct View<'a, 'e> {
    txn: &'a RoTxn<'e, WithoutTls>,
    t: &'a Tables,
    index: &'a KeyIndex,
}

impl NodeSource for View<'_, '_> {
    type Error = LedgerError;
    fn complete_node(&self, height: u32, pos: u64) -> Result<Hash32, LedgerError> {
        if height == 0 {
            return match self.output(pos)? {
                Some(o) => Ok(o.leaf_hash()),
                None => Err(LedgerError::Corrupt {
                    what: "output (Merkle leaf)",
                    key: pos,
                    source: None,
                }),
            };
        }
        match self.t.merkle.get(self.txn, &merkle_key(height, pos))? {
            Some(v) => <[u8; 32]>::try_from(v).map(Hash32).map_err(|_| LedgerError::Corrupt {
                what: "Merkle node",
                key: pos,
                source: None,
            }),
            None => {
                Err(LedgerError::Corrupt { what: "Merkle node (missing)", key: pos, source: None })
            }
        }
    }
}

impl StoreRead for View<'_, '_> {
    fn num_blocks(&self) -> Result<u64, LedgerError> {
        Ok(self.t.blocks.len(self.txn)?)
    }
    fn stored_block(&self, index: u64) -> Result<Option<StoredBlock>, LedgerError> {
        match self.t.blocks.get(self.txn, &index.to_be_bytes())? {
            Some(v) => StoredBlock::from_canonical_bytes(v)
                .map(Some)
                .map_err(|e| LedgerError::Corrupt { what: "block", key: index, source: Some(e) }),
            None => Ok(None),
        }
    }
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
        match self.t.blocks.get(self.txn, &index.to_be_bytes())? {
            // The stored record starts with the header: decode just that prefix.
            Some(v) => Block::decode(&mut Reader::new(v))
                .map(Some)
                .map_err(|e| LedgerError::Corrupt { what: "block", key: index, source: Some(e) }),
            None => Ok(None),
        }
    }
    fn block_index(&self, id: &BlockId) -> Result<Option<u64>, LedgerError> {
        self.t
            .block_ids
            .get(self.txn, id.0.as_bytes())?
            .map(|v| u64_value("block id", 0, v))
            .transpose()
    }
    fn output(&self, index: u64) -> Result<Option<TxOut>, LedgerError> {
        match self.t.outputs.get(self.txn, &index.to_be_bytes())? {
            Some(v) => TxOut::from_canonical_bytes(v).map(Some).map_err(|e| LedgerError::Corrupt {
                what: "output",
                key: index,
                source: Some(e),
            }),
            None => Ok(None),
        }
    }
    fn output_index(&self, pk: &CompressedPoint) -> Result<Option<u64>, LedgerError> {
        Ok(self.index.outputs.get(pk).copied())
    }
    fn key_image_block(&self, ki: &KeyImage) -> Result<Option<u64>, LedgerError> {
        Ok(self.index.key_images.get(ki).copied())
    }
    fn num_key_images(&self) -> Result<u64, LedgerError> {
        Ok(self.index.key_images.len() as u64)
    }
    fn table_counts(&self) -> Result<TableCounts, LedgerError> {
        Ok(TableCounts {
            outputs: self.t.outputs.len(self.txn)?,
            output_keys: self.index.outputs.len() as u64,
            block_ids: self.t.block_ids.len(self.txn)?,
            key_images: self.index.key_images.len() as u64,
            merkle_nodes: self.t.merkle.len(self.txn)?,
        })
    }
}

/// A read snapshot owning its LMDB read transaction.
struct Snapshot<'e> {
    txn: RoTxn<'e, WithoutTls>,
    t: &'e Tables,
    index: &'e KeyIndex,
}

impl Snapshot<'_> {
    fn view(&self) -> View<'_, '_> {
        View { txn: &self.txn, t: self.t, index: self.index }
    }
}

impl NodeSource for Snapshot<'_> {
    type Error = LedgerError;
    fn complete_node(&self, height: u32, pos: u64) -> Result<Hash32, LedgerError> {
        self.view().complete_node(height, pos)
    }
}

impl StoreRead for Snapshot<'_> {
    fn num_blocks(&self) -> Result<u64, LedgerError> {
        self.view().num_blocks()
    }
    fn stored_block(&self, index: u64) -> Result<Option<StoredBlock>, LedgerError> {
        self.view().stored_block(index)
    }
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
        self.view().block_header(index)
    }
    fn block_index(&self, id: &BlockId) -> Result<Option<u64>, LedgerError> {
        self.view().block_index(id)
    }
    fn output(&self, index: u64) -> Result<Option<TxOut>, LedgerError> {
        self.view().output(index)
    }
    fn output_index(&self, pk: &CompressedPoint) -> Result<Option<u64>, LedgerError> {
        self.view().output_index(pk)
    }
    fn key_image_block(&self, ki: &KeyImage) -> Result<Option<u64>, LedgerError> {
        self.view().key_image_block(ki)
    }
    fn num_key_images(&self) -> Result<u64, LedgerError> {
        self.view().num_key_images()
    }
    fn table_counts(&self) -> Result<TableCounts, LedgerError> {
        self.view().table_counts()
    }
}

impl Ledger for LmdbLedger {
    fn snapshot(&self) -> Result<Box<dyn StoreRead + Send + '_>, LedgerError> {
        // The key index cannot run ahead of the transaction: appends need `&mut self`, so no
        // snapshot is alive while one happens.
        Ok(Box::new(Snapshot { txn: self.env.read_txn()?, t: &self.tables, index: &self.index }))
    }

    fn append_block(&mut self, data: &BlockData) -> Result<(), LedgerError> {
        let t = self.tables;
        let mut w = self.env.write_txn()?;
        let new = store::validate_append(&View { txn: &w, t: &t, index: &self.index }, data)?;
        let index = data.block.index;
        let idx = index.to_be_bytes();
        let first = data.block.cumulative_txo_count - data.contents.outputs.len() as u64;
        let mut buf = Vec::with_capacity(256);
        for (k, o) in data.contents.outputs.iter().enumerate() {
            let g = (first + k as u64).to_be_bytes();
            buf.clear();
            o.encode(&mut buf);
            // Global indexes only grow: APPEND skips the B-tree search.
            t.outputs.put_with_flags(&mut w, PutFlags::APPEND, &g, &buf)?;
        }
        // Leaves are not stored: a leaf is its output's hash.
        for (h, p, x) in new.iter().filter(|(h, _, _)| *h > 0) {
            t.merkle.put(&mut w, &merkle_key(h, p), x.as_bytes())?;
        }
        let stored = StoredBlock {
            block: data.block,
            key_images: data.contents.key_images.clone(),
            signatures: data.signatures.clone(),
        };
        t.blocks.put_with_flags(&mut w, PutFlags::APPEND, &idx, &stored.to_canonical_bytes())?;
        t.block_ids.put(&mut w, data.block.id.0.as_bytes(), &idx)?;
        w.commit()?;
        self.index.add(data);
        let rec =
            ack::AckRecord { schema: SCHEMA_VERSION, height: index + 1, last_id: data.block.id };
        ack::write(&self.path, rec).map_err(LedgerError::AckWrite)
    }
}

impl_ledger_view!(LmdbLedger);
