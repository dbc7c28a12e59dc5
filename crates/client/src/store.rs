//! The durable local store: one state file, replaced atomically.
//!
//! Format: `MCNWLT01` (8 bytes) ‖ payload length (u64, big-endian) ‖ payload (the canonical
//! encoding of [`WalletState`]) ‖ domain-separated SHA-256 (`Hash32::digest`) of the payload under the tag
//! `mcnode-wallet-state-v1`.
//!
//! Crash safety: a save writes the whole file under a temporary name in the same directory,
//! fsyncs it, renames it over the state file (atomic on POSIX) and fsyncs the directory. A kill
//! at any point leaves either the old file or the new one, never a mix; a leftover temporary
//! file is ignored and replaced by the next save. The wallet saves only states built from
//! verified blocks, so the next run resumes from the last saved tip. A file that fails its
//! checksum (disk damage, an edit) is refused with [`StoreError::Corrupt`], never half-read.

use std::path::{Path, PathBuf};

use mcnode_types::{Decode, Encode, Hash32};

use crate::state::WalletState;

const MAGIC: &[u8; 8] = b"MCNWLT02";
/// The first version's magic (no block times): such a file is a cache of verified blocks,
/// so it is dropped and the wallet syncs again from the origin.
const MAGIC_V1: &[u8; 8] = b"MCNWLT01";
const CHECKSUM_DOMAIN: &[u8] = b"mcnode-wallet-state-v1";

/// Why the state file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing failed (a write failure leaves the previous state in place).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a wallet state file, is truncated or fails its checksum.
    #[error("{path}: wallet state is corrupt ({reason}); remove it to resync from the origin")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// The state belongs to another account.
    #[error("{path}: wallet state belongs to another account")]
    OtherAccount {
        /// The file.
        path: PathBuf,
    },
}

/// The state file at a path.
#[derive(Clone, Debug)]
pub struct StateFile {
    path: PathBuf,
}

fn checksum(payload: &[u8]) -> Hash32 {
    Hash32::digest(CHECKSUM_DOMAIN, payload)
}

/// The bytes of a state file holding `state`.
pub fn encode_file(state: &WalletState) -> Vec<u8> {
    let payload = state.to_canonical_bytes();
    let mut out = Vec::with_capacity(payload.len() + 48);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(checksum(&payload).as_bytes());
    out
}

/// Parses the bytes of a state file.
pub fn decode_file(bytes: &[u8]) -> Result<WalletState, &'static str> {
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or("not a wallet state file")?;
    let (len, rest) = rest.split_first_chunk::<8>().ok_or("truncated header")?;
    let len = usize::try_from(u64::from_be_bytes(*len)).map_err(|_| "length out of range")?;
    if rest.len() != len.saturating_add(32) {
        return Err("truncated or extended");
    }
    let (payload, sum) = rest.split_at(len);
    if checksum(payload).as_bytes() != sum {
        return Err("checksum mismatch");
    }
    WalletState::from_canonical_bytes(payload).map_err(|_| "payload does not decode")
}

impl StateFile {
    /// The state file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StateFile { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io { path: self.path.clone(), source }
    }

    /// Loads the state of the account tagged `account_tag`; a missing file is a fresh state.
    pub fn load(&self, account_tag: Hash32) -> Result<WalletState, StoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(WalletState { account_tag, ..WalletState::default() });
            }
            Err(e) => return Err(self.io(e)),
        };
        if bytes.starts_with(MAGIC_V1) {
            return Ok(WalletState { account_tag, ..WalletState::default() });
        }
        let state = decode_file(&bytes)
            .map_err(|reason| StoreError::Corrupt { path: self.path.clone(), reason })?;
        if state.account_tag != account_tag {
            return Err(StoreError::OtherAccount { path: self.path.clone() });
        }
        Ok(state)
    }

    /// Replaces the file with `state`, atomically and durably.
    pub fn save(&self, state: &WalletState) -> Result<(), StoreError> {
        self.save_bytes(&encode_file(state))
    }

    fn save_bytes(&self, bytes: &[u8]) -> Result<(), StoreError> {
        mcnode_types::durable::write_atomic(&self.path, bytes, 0o600)
            .map_err(|e| StoreError::Io { path: e.path, source: e.source })
    }
}
