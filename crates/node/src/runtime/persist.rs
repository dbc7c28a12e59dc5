//! The node's last own SCP statements on disk, so that a node killed at any point (SIGKILL
//! included) restarts without contradicting what it already said (stellar-core persists its
//! latest envelopes for the same reason and restores them with `setStateFromEnvelope`).
//!
//! File format: `MAGIC (8 bytes) || checksum (32) || body`, body = `slot:u64 ||
//! statements` in the canonical `mcnode-types` encoding, checksum =
//! `Hash32::digest(CHECKSUM_DOMAIN, body)`.
//!
//! Guarantees:
//! - A save is atomic: the bytes go to a temporary file in the same directory, which is
//!   fsynced, renamed over the old file, and the directory is fsynced. A crash leaves either
//!   the old statements or the new ones, never a mix (a leftover temporary file is ignored and
//!   overwritten by the next save).
//! - Loading a file that is not exactly what a save wrote (wrong magic, bad checksum,
//!   truncated, trailing bytes, undecodable) is refused with a typed [`PersistError`], never a
//!   panic and never a silent start without the statements: starting without them could make
//!   the node vote against its own earlier statements.

use std::path::{Path, PathBuf};

use mcnode_scp::{Statement, TxHashSet};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader, SlotIndex};

/// First bytes of a statements file.
pub const MAGIC: &[u8; 8] = b"MCNSTMT1";
/// Domain tag of the checksum.
pub const CHECKSUM_DOMAIN: &[u8] = b"mcnode-persisted-statements-v1";
/// Most statements one file holds (a node has at most a nomination and a ballot statement per
/// slot; a little slack for future use).
pub const MAX_STATEMENTS: u32 = 16;

/// Why the statements file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with [`MAGIC`] (or is shorter than its header).
    #[error("{path} is not an mcnode statements file")]
    NotAStatementsFile {
        /// The file.
        path: PathBuf,
    },
    /// The checksum does not match the contents.
    #[error("{path}: checksum mismatch (the file was altered or damaged)")]
    Checksum {
        /// The file.
        path: PathBuf,
    },
    /// The body does not decode.
    #[error("{path}: {source}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: DecodeError,
    },
}

/// The persisted statements: the slot they belong to and the statements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persisted {
    /// The slot.
    pub slot: SlotIndex,
    /// The node's latest own statements of that slot.
    pub statements: Vec<Statement<TxHashSet>>,
}

/// The statements file of one node.
#[derive(Clone, Debug)]
pub struct StatementStore {
    path: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
    move |source| PersistError::Io { path: path.to_path_buf(), source }
}

impl StatementStore {
    /// The store at `path` (the file need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StatementStore { path: path.into() }
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Encodes `p` as the file holds it.
    pub fn encode(p: &Persisted) -> Vec<u8> {
        let mut body = Vec::new();
        p.slot.encode(&mut body);
        p.statements.encode(&mut body);
        let mut out = Vec::with_capacity(MAGIC.len() + 32 + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(Hash32::digest(CHECKSUM_DOMAIN, &body).as_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Decodes file contents (`path` only names the file in errors).
    pub fn decode(path: &Path, bytes: &[u8]) -> Result<Persisted, PersistError> {
        let header = MAGIC.len() + 32;
        if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
            return Err(PersistError::NotAStatementsFile { path: path.to_path_buf() });
        }
        let body = &bytes[header..];
        if Hash32::digest(CHECKSUM_DOMAIN, body).as_bytes()[..] != bytes[MAGIC.len()..header] {
            return Err(PersistError::Checksum { path: path.to_path_buf() });
        }
        let decode = |source| PersistError::Decode { path: path.to_path_buf(), source };
        let mut r = Reader::new(body);
        let slot = SlotIndex::decode(&mut r).map_err(decode)?;
        let statements = r.seq(MAX_STATEMENTS).map_err(decode)?;
        r.finish().map_err(decode)?;
        Ok(Persisted { slot, statements })
    }

    /// Reads the file; `Ok(None)` if it does not exist (a node's first start).
    pub fn load(&self) -> Result<Option<Persisted>, PersistError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Self::decode(&self.path, &bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&self.path)(e)),
        }
    }

    /// Replaces the file atomically (temporary file, fsync, rename, fsync of the directory).
    pub fn save(&self, p: &Persisted) -> Result<(), PersistError> {
        mcnode_types::durable::write_atomic(&self.path, &Self::encode(p), 0o600)
            .map_err(|e| PersistError::Io { path: e.path, source: e.source })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use mcnode_scp::{Nominate, Pledge};
    use mcnode_types::NodeId;

    fn sample() -> Persisted {
        let v = TxHashSet::from_hashes([Hash32([7; 32])]);
        let st = Statement {
            node_id: NodeId([1; 32]),
            slot: 5,
            quorum_set_hash: Hash32([2; 32]),
            pledge: Pledge::Nominate(Nominate { votes: vec![v.clone()], accepted: vec![v] }),
        };
        Persisted { slot: 5, statements: vec![st] }
    }

    #[test]
    fn save_then_load_round_trips_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let store = StatementStore::new(dir.path().join("statements"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&sample()).unwrap();
        assert_eq!(store.load().unwrap(), Some(sample()));
        let empty = Persisted { slot: 6, statements: vec![] };
        store.save(&empty).unwrap();
        assert_eq!(store.load().unwrap(), Some(empty));
        assert!(
            !mcnode_types::durable::temp_path(&store.path).exists(),
            "the temporary file is renamed away"
        );
    }

    #[test]
    fn a_torn_temporary_file_from_a_killed_save_does_not_affect_the_saved_statements() {
        let dir = tempfile::tempdir().unwrap();
        let store = StatementStore::new(dir.path().join("statements"));
        store.save(&sample()).unwrap();
        // A save killed after writing half of its temporary file.
        let half = StatementStore::encode(&Persisted { slot: 6, statements: vec![] });
        std::fs::write(mcnode_types::durable::temp_path(&store.path), &half[..half.len() / 2])
            .unwrap();
        assert_eq!(store.load().unwrap(), Some(sample()));
        store.save(&sample()).unwrap();
        assert_eq!(store.load().unwrap(), Some(sample()));
    }

    #[test]
    fn a_flipped_body_byte_is_refused_by_the_checksum() {
        let mut bytes = StatementStore::encode(&sample());
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let e = StatementStore::decode(Path::new("f"), &bytes).unwrap_err();
        assert!(matches!(e, PersistError::Checksum { .. }), "{e:?}");
    }

    #[test]
    fn truncation_and_foreign_files_are_refused_with_their_own_errors() {
        let bytes = StatementStore::encode(&sample());
        let e = StatementStore::decode(Path::new("f"), &bytes[..20]).unwrap_err();
        assert!(matches!(e, PersistError::NotAStatementsFile { .. }), "{e:?}");
        let e = StatementStore::decode(Path::new("f"), b"{\"json\": true} and more bytes here")
            .unwrap_err();
        assert!(matches!(e, PersistError::NotAStatementsFile { .. }), "{e:?}");
        // A body cut short but with a matching checksum (written by something else) still
        // fails to decode rather than panicking.
        let mut body = Vec::new();
        5u64.encode(&mut body);
        body.extend_from_slice(&[0, 0, 0, 3]);
        let mut f = MAGIC.to_vec();
        f.extend_from_slice(Hash32::digest(CHECKSUM_DOMAIN, &body).as_bytes());
        f.extend_from_slice(&body);
        let e = StatementStore::decode(Path::new("f"), &f).unwrap_err();
        assert!(matches!(e, PersistError::Decode { .. }), "{e:?}");
    }

    #[test]
    fn trailing_bytes_after_a_valid_body_are_refused() {
        let p = sample();
        let mut body = Vec::new();
        p.slot.encode(&mut body);
        p.statements.encode(&mut body);
        body.push(0);
        let mut f = MAGIC.to_vec();
        f.extend_from_slice(Hash32::digest(CHECKSUM_DOMAIN, &body).as_bytes());
        f.extend_from_slice(&body);
        let e = StatementStore::decode(Path::new("f"), &f).unwrap_err();
        assert!(matches!(e, PersistError::Decode { .. }), "{e:?}");
    }
}
