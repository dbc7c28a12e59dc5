//! One admission at a time per transaction hash.
//!
//! In a mesh every node relays each transaction it pools to every peer but the one it came
//! from, so a node receives most transactions several times, within milliseconds of each
//! other. Checking each copy in the enclave (a full verification, milliseconds of CPU) before
//! the pool says "duplicate" tripled the enclave's work on a 4-node network. Admissions of one
//! hash therefore wait for each other ([`SameTxLocks::hold`]); the later copy then finds the
//! first in the pool and skips the enclave.
//!
//! A copy is never dropped merely because another is in flight: the hash covers the whole
//! transaction but not the ring membership proofs travelling with it, so a lying peer could
//! race a copy with bad proofs; the honest copy waits, sees the liar's refused, and is checked
//! itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mcnode_types::Hash32;
use tokio::sync::OwnedMutexGuard;

type Slot = Arc<tokio::sync::Mutex<()>>;

/// The per-hash locks (only hashes being admitted have an entry); cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct SameTxLocks(Arc<Mutex<HashMap<Hash32, Slot>>>);

/// Held while one copy of a transaction is admitted; the next copy's [`SameTxLocks::hold`]
/// returns when it is dropped.
#[derive(Debug)]
pub struct SameTxGuard {
    guard: Option<OwnedMutexGuard<()>>,
    locks: SameTxLocks,
    hash: Hash32,
}

impl SameTxLocks {
    /// Waits until no other admission of `hash` is under way, then holds it.
    pub async fn hold(&self, hash: Hash32) -> SameTxGuard {
        let slot = self.map().entry(hash).or_default().clone();
        let guard = slot.lock_owned().await;
        SameTxGuard { guard: Some(guard), locks: self.clone(), hash }
    }

    /// Hashes with an admission under way or waiting.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no admission is under way.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Hash32, Slot>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for SameTxGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.locks.map();
        // Only the map holds the slot now: nobody waits for it.
        if map.get(&self.hash).is_some_and(|s| Arc::strong_count(s) == 1) {
            map.remove(&self.hash);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_copy_waits_for_the_first_and_the_entry_is_forgotten() {
        let locks = SameTxLocks::default();
        let h = Hash32([7; 32]);
        let first = locks.hold(h).await;
        let l2 = locks.clone();
        let second = tokio::spawn(async move {
            let _g = l2.hold(h).await;
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "the second copy did not wait for the first");
        // Another hash is not held up.
        let _other = tokio::time::timeout(Duration::from_secs(1), locks.hold(Hash32([8; 32])))
            .await
            .expect("an unrelated hash waited");
        drop(_other);
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), second).await.unwrap().unwrap();
        assert!(locks.is_empty(), "{} entries left", locks.len());
    }
}
