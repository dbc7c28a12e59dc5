//! Durable replacement of a small state file, shared by every crate that keeps one (the
//! ledger's acknowledgement record, the node's last SCP statements and sealed keys, the
//! wallet's store).
//!
//! [`write_atomic`] guarantees that after a crash at any point the file holds either its old
//! contents or the new ones, never a mix or nothing: the bytes go to a temporary file beside
//! it (same directory, so the same filesystem), are fsynced, renamed over the target, and the
//! directory is fsynced so that the rename itself survives a power cut.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// A step of [`write_atomic`] failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot {op} {}: {source}", path.display())]
pub struct DurableWriteError {
    /// What was being done: "create", "write", "fsync", "rename into place", "fsync directory".
    pub op: &'static str,
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: std::io::Error,
}

/// The temporary file [`write_atomic`] uses for `path`: `path` with `.tmp` appended to its name.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` atomically and durably; the file gets permission bits `mode`
/// when it is created (0o600 for anything secret or private).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), DurableWriteError> {
    fn err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DurableWriteError {
        let path = path.to_path_buf();
        move |source| DurableWriteError { op, path, source }
    }
    let tmp = temp_path(path);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(err("create", &tmp))?;
    f.write_all(bytes).map_err(err("write", &tmp))?;
    f.sync_all().map_err(err("fsync", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err("rename into place", path))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir).and_then(|d| d.sync_all()).map_err(err("fsync directory", dir))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn replaces_contents_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        write_atomic(&path, b"one", 0o600).unwrap();
        write_atomic(&path, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert!(!temp_path(&path).exists());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_missing_directory_names_the_failed_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("state");
        let e = write_atomic(&path, b"x", 0o600).unwrap_err();
        assert_eq!(e.op, "create");
        assert_eq!(e.path, temp_path(&path));
    }

    #[test]
    fn a_leftover_temporary_file_from_a_crash_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        std::fs::write(temp_path(&path), b"torn write from a crash, much longer").unwrap();
        write_atomic(&path, b"new", 0o644).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }
}
