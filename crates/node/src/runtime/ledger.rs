//! The durable ledger shared by the runtime's tasks. LMDB calls block (a commit fsyncs), so
//! every call runs on tokio's blocking pool; one mutex orders writers and readers (an append
//! is one LMDB transaction, so readers see whole blocks only).

use std::sync::{Arc, Mutex};

use mcnode_ledger::LmdbLedger;

/// Why a ledger task did not return.
#[derive(Debug, thiserror::Error)]
#[error("the ledger task ended abnormally: {0}")]
pub struct LedgerTaskError(String);

/// The node's ledger, cheap to clone.
#[derive(Clone, Debug)]
pub struct SharedLedger(Arc<Mutex<LmdbLedger>>);

impl SharedLedger {
    /// Shares `ledger`.
    pub fn new(ledger: LmdbLedger) -> Self {
        SharedLedger(Arc::new(Mutex::new(ledger)))
    }

    /// Runs `f` on the blocking pool with the ledger locked.
    pub async fn with<R, F>(&self, f: F) -> Result<R, LedgerTaskError>
    where
        R: Send + 'static,
        F: FnOnce(&mut LmdbLedger) -> R + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave a half-written block (an append is
            // one LMDB transaction), so the ledger stays usable.
            let mut guard = inner.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| LedgerTaskError(e.to_string()))
    }

    /// Runs `f` on the calling thread with the ledger locked, for short reads from code that
    /// cannot await (the admin handlers' [`crate::admin::StatusSource`]); it waits for an
    /// append in progress.
    pub fn with_now<R>(&self, f: impl FnOnce(&mut LmdbLedger) -> R) -> R {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Runs `f` with the ledger locked, blocking the calling thread: only for threads that may
    /// block (the archive publisher's), never from an async worker.
    pub fn read_blocking<R>(&self, f: impl FnOnce(&LmdbLedger) -> R) -> R {
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    }
}
