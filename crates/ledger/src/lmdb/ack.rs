//! The record of the highest acknowledged block: an independent witness against rollback.
//!
//! LMDB keeps two meta pages and opens the one with the higher transaction id. A damaged meta
//! page can therefore make LMDB open an EARLIER commit without any error: the ledger silently
//! loses its last blocks, and everything left is self-consistent, so `verify` alone cannot see
//! it. This file, `mcnode-ledger.ack` beside `data.mdb`, records the height and last block id
//! after every durable commit, checksummed, and is compared with the database at open:
//!
//! - database behind the record (fewer blocks, or another block at the recorded height):
//!   **rolled back**, open refuses ([`crate::OpenError::RolledBack`]);
//! - database ahead of it, with the extra blocks linking to the recorded one by parent ids: a
//!   crash between the commit and the record write, which is normal; the record is repaired;
//! - record damaged (bad magic, length or checksum): open refuses
//!   ([`crate::OpenError::AckRecordDamaged`]); deleting the file accepts the database as it is;
//! - record absent: written from the database (a ledger created before the record existed, or a
//!   crash between creating the database and writing its first record).
//!
//! The record also holds the schema version, so that a damaged schema field in the database
//! is reported as corruption rather than as "written by another version".
//!
//! Layout (84 bytes): `b"MCLACK01"` ‖ schema `u32` BE ‖ height `u64` BE ‖ last block id
//! (32 B, zero when height = 0) ‖ checksum (32 B) = `Hash32::digest(ACK_DOMAIN, first 52
//! bytes)`.
//! Writes are atomic: temporary file, fsync, rename over the record, fsync of the directory.

use std::path::Path;

use mcnode_types::Hash32;

use crate::block::BlockId;
use crate::error::{LedgerError, OpenError};
use crate::store::StoreRead;

/// Name of the record file inside the ledger directory.
pub const ACK_FILE: &str = "mcnode-ledger.ack";
const MAGIC: &[u8; 8] = b"MCLACK01";
const ACK_DOMAIN: &[u8] = b"mcnode-ledger-ack-v1";
const LEN: usize = 84;
const BODY: usize = LEN - 32;

/// The highest block the ledger acknowledged as durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckRecord {
    /// Schema version of the database.
    pub schema: u32,
    /// Number of blocks.
    pub height: u64,
    /// Id of block `height - 1` (zero when `height` = 0).
    pub last_id: BlockId,
}

impl AckRecord {
    fn to_bytes(self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&self.schema.to_be_bytes());
        b[12..20].copy_from_slice(&self.height.to_be_bytes());
        b[20..BODY].copy_from_slice(self.last_id.0.as_bytes());
        let sum = Hash32::digest(ACK_DOMAIN, &b[..BODY]);
        b[BODY..].copy_from_slice(sum.as_bytes());
        b
    }

    fn from_bytes(b: &[u8]) -> Result<AckRecord, &'static str> {
        let b: &[u8; LEN] = b.try_into().map_err(|_| "wrong length")?;
        if &b[..8] != MAGIC {
            return Err("bad magic");
        }
        if Hash32::digest(ACK_DOMAIN, &b[..BODY]).as_bytes()[..] != b[BODY..] {
            return Err("checksum mismatch");
        }
        let mut schema = [0u8; 4];
        schema.copy_from_slice(&b[8..12]);
        let mut height = [0u8; 8];
        height.copy_from_slice(&b[12..20]);
        let mut id = [0u8; 32];
        id.copy_from_slice(&b[20..BODY]);
        Ok(AckRecord {
            schema: u32::from_be_bytes(schema),
            height: u64::from_be_bytes(height),
            last_id: BlockId(Hash32(id)),
        })
    }

    /// The record describing the database in `s`, of schema version `schema`.
    pub fn of(schema: u32, s: &(impl StoreRead + ?Sized)) -> Result<AckRecord, LedgerError> {
        let last = crate::store::last_block(s)?;
        let last_id = last.map_or(BlockId::default(), |b| b.id);
        Ok(AckRecord { schema, height: s.num_blocks()?, last_id })
    }
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> OpenError + 'a {
    move |source| OpenError::Io { op, path: path.to_path_buf(), source }
}

/// Reads the record in ledger directory `dir`: `None` if there is none.
pub fn read(dir: &Path) -> Result<Option<AckRecord>, OpenError> {
    let path = dir.join(ACK_FILE);
    match std::fs::read(&path) {
        Ok(b) => AckRecord::from_bytes(&b)
            .map(Some)
            .map_err(|reason| OpenError::AckRecordDamaged { path, reason }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("cannot read", &path)(e)),
    }
}

/// Writes `rec` atomically and durably in ledger directory `dir`.
pub fn write(dir: &Path, rec: AckRecord) -> Result<(), OpenError> {
    let path = dir.join(ACK_FILE);
    mcnode_types::durable::write_atomic(&path, &rec.to_bytes(), 0o644).map_err(|e| OpenError::Io {
        op: e.op,
        path: e.path,
        source: e.source,
    })
}

/// Compares the database in `s` (of schema version `schema`) with the record in `dir` (see
/// the module doc): refuses a rollback, repairs a record that is behind, writes a missing one.
pub fn check(dir: &Path, schema: u32, s: &(impl StoreRead + ?Sized)) -> Result<(), LedgerError> {
    let found = AckRecord::of(schema, s)?;
    let Some(rec) = read(dir)? else { return Ok(write(dir, found)?) };
    if found == rec {
        return Ok(());
    }
    if rec.schema != schema {
        return Err(LedgerError::Corrupt {
            what: "schema version (differs from the acknowledged-block record's)",
            key: u64::from(rec.schema),
            source: None,
        });
    }
    let rolled_back = |found_id_at_recorded| OpenError::RolledBack {
        path: dir.to_path_buf(),
        recorded_height: rec.height,
        recorded_id: rec.last_id,
        found_height: found.height,
        found_id_at_recorded,
    };
    if found.height < rec.height {
        return Err(rolled_back(None).into());
    }
    // Ahead (or equal with another id): the block at the recorded height must be the recorded
    // one, and every later block must link to it.
    let mut parent = match rec.height {
        0 => BlockId::default(),
        h => {
            let b = s.block_header(h - 1)?.ok_or(LedgerError::Corrupt {
                what: "block",
                key: h - 1,
                source: None,
            })?;
            if b.id != rec.last_id {
                return Err(rolled_back(Some(b.id)).into());
            }
            b.id
        }
    };
    for i in rec.height..found.height {
        let b = s.block_header(i)?.ok_or(LedgerError::Corrupt {
            what: "block",
            key: i,
            source: None,
        })?;
        if b.parent_id != parent {
            return Err(LedgerError::Corrupt { what: "block (parent link)", key: i, source: None });
        }
        parent = b.id;
    }
    Ok(write(dir, found)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_every_damage_is_named() {
        let rec = AckRecord { schema: 1, height: 7, last_id: BlockId(Hash32([9; 32])) };
        let b = rec.to_bytes();
        assert_eq!(AckRecord::from_bytes(&b), Ok(rec));
        for i in 0..LEN {
            let mut bad = b;
            bad[i] ^= 0x10;
            let want = if i < 8 { "bad magic" } else { "checksum mismatch" };
            assert_eq!(AckRecord::from_bytes(&bad), Err(want), "byte {i}");
        }
        assert_eq!(AckRecord::from_bytes(&b[..LEN - 1]), Err("wrong length"));
    }

    proptest::proptest! {
        /// Any file content decodes or is refused with a reason; never a panic.
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            if let Ok(rec) = AckRecord::from_bytes(&bytes) {
                proptest::prop_assert_eq!(&rec.to_bytes()[..], &bytes[..]);
            }
        }
    }
}
