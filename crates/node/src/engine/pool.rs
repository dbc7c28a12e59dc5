//! The pending-transaction pool: transactions this node's enclave found well formed and the
//! runtime found fresh against the ledger, waiting to be nominated and included.
//!
//! Rules (MobileCoin `consensus/service/src/byzantine_ledger/pending_values.rs` and
//! `tx_manager`, `api/client_api_service.rs`):
//! - keyed by the whole-transaction hash (a second copy of the same transaction is a duplicate);
//! - bounded: past `capacity` pending transactions a new one is refused with
//!   [`PoolError::OverCapacity`] (MobileCoin `PENDING_LIMIT = 500`);
//! - a transaction leaves when its tombstone passes (it may be included in block `i` only while
//!   `i < tombstone`) or when a block spends one of its key images (which also covers its own
//!   inclusion: every transaction spends at least one input);
//! - nomination takes transactions by fee priority, highest first, then by arrival (oldest
//!   first), so under load the best-paying go first and, at equal priority, nothing waits
//!   behind later arrivals forever; at most `max_values` per slot, and never two that spend the
//!   same key image.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use mcnode_enclave::host_types::{WellFormedEncryptedTx, WellFormedTxContext};
use mcnode_tx::KeyImage;
use mcnode_types::Hash32;

/// MobileCoin's pending-value limit.
pub const DEFAULT_POOL_CAPACITY: usize = 500;

/// A pooled transaction: what the host may see of it and its enclave ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PooledTx {
    /// Host-visible context from this node's enclave.
    pub context: WellFormedTxContext,
    /// The opaque payload handed to `FormBlock` and relayed to peers.
    pub payload: WellFormedEncryptedTx,
}

/// Why the pool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The pool holds `capacity` transactions already.
    #[error("pool is full ({capacity} pending transactions)")]
    OverCapacity {
        /// The configured limit.
        capacity: usize,
    },
    /// The same transaction is already pending.
    #[error("transaction {hash} is already pending")]
    Duplicate {
        /// Its hash.
        hash: Hash32,
    },
    /// Its tombstone has passed: it can no longer enter the next block.
    #[error("tombstone {tombstone} passed (next block {next_block})")]
    Tombstoned {
        /// The transaction's tombstone block.
        tombstone: u64,
        /// Index of the next block.
        next_block: u64,
    },
}

/// The pool. Deterministic: iteration orders are fixed by priority, arrival and hash.
#[derive(Clone, Debug)]
pub struct TxPool {
    capacity: usize,
    txs: HashMap<Hash32, (u64, PooledTx)>,
    /// (reverse priority, arrival, hash): nomination order.
    order: BTreeSet<(std::cmp::Reverse<u64>, u64, Hash32)>,
    by_key_image: HashMap<KeyImage, HashSet<Hash32>>,
    by_tombstone: BTreeMap<u64, HashSet<Hash32>>,
    next_seq: u64,
}

impl TxPool {
    /// An empty pool holding at most `capacity` transactions.
    pub fn new(capacity: usize) -> Self {
        TxPool {
            capacity,
            txs: HashMap::new(),
            order: BTreeSet::new(),
            by_key_image: HashMap::new(),
            by_tombstone: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Pending transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The limit.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether `hash` is pending.
    pub fn contains(&self, hash: &Hash32) -> bool {
        self.txs.contains_key(hash)
    }

    /// A pending transaction.
    pub fn get(&self, hash: &Hash32) -> Option<&PooledTx> {
        self.txs.get(hash).map(|(_, t)| t)
    }

    /// Adds a transaction for the block with index `next_block`. `over_capacity_ok` admits it
    /// past the limit (a body this node fetched because consensus needs it).
    pub fn insert(
        &mut self,
        tx: PooledTx,
        next_block: u64,
        over_capacity_ok: bool,
    ) -> Result<(), PoolError> {
        let hash = tx.context.tx_hash;
        if self.txs.contains_key(&hash) {
            return Err(PoolError::Duplicate { hash });
        }
        let tombstone = tx.context.tombstone;
        if next_block >= tombstone {
            return Err(PoolError::Tombstoned { tombstone, next_block });
        }
        if !over_capacity_ok && self.txs.len() >= self.capacity {
            return Err(PoolError::OverCapacity { capacity: self.capacity });
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        self.order.insert((std::cmp::Reverse(tx.context.priority), seq, hash));
        for ki in &tx.context.key_images {
            self.by_key_image.entry(*ki).or_default().insert(hash);
        }
        self.by_tombstone.entry(tombstone).or_default().insert(hash);
        self.txs.insert(hash, (seq, tx));
        Ok(())
    }

    /// Removes one transaction; returns it if it was pending.
    pub fn remove(&mut self, hash: &Hash32) -> Option<PooledTx> {
        let (seq, tx) = self.txs.remove(hash)?;
        self.order.remove(&(std::cmp::Reverse(tx.context.priority), seq, *hash));
        for ki in &tx.context.key_images {
            if let Some(set) = self.by_key_image.get_mut(ki) {
                set.remove(hash);
                if set.is_empty() {
                    self.by_key_image.remove(ki);
                }
            }
        }
        if let Some(set) = self.by_tombstone.get_mut(&tx.context.tombstone) {
            set.remove(hash);
            if set.is_empty() {
                self.by_tombstone.remove(&tx.context.tombstone);
            }
        }
        Some(tx)
    }

    /// After a block spending `key_images` was appended, with `next_block` the index of the
    /// block after it: drops every transaction spending one of them or whose tombstone passed.
    /// Returns the hashes dropped, sorted.
    pub fn prune(&mut self, key_images: &[KeyImage], next_block: u64) -> Vec<Hash32> {
        let mut gone: BTreeSet<Hash32> = BTreeSet::new();
        for ki in key_images {
            if let Some(set) = self.by_key_image.get(ki) {
                gone.extend(set.iter().copied());
            }
        }
        for (_, set) in self.by_tombstone.range(..=next_block) {
            gone.extend(set.iter().copied());
        }
        for h in &gone {
            self.remove(h);
        }
        gone.into_iter().collect()
    }

    /// Up to `max` pending hashes in nomination order (priority, then arrival), skipping any
    /// that spends a key image an earlier pick spends.
    pub fn select(&self, max: usize) -> Vec<Hash32> {
        let mut spent: HashSet<KeyImage> = HashSet::new();
        let mut out = Vec::new();
        for (_, _, h) in &self.order {
            if out.len() >= max {
                break;
            }
            let Some((_, tx)) = self.txs.get(h) else { continue };
            if tx.context.key_images.iter().any(|k| spent.contains(k)) {
                continue;
            }
            spent.extend(tx.context.key_images.iter().copied());
            out.push(*h);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testkit::pooled;

    #[test]
    fn refuses_past_capacity_with_over_capacity() {
        let mut p = TxPool::new(2);
        p.insert(pooled(1, 128, 100), 1, false).unwrap();
        p.insert(pooled(2, 128, 100), 1, false).unwrap();
        assert_eq!(
            p.insert(pooled(3, 128, 100), 1, false),
            Err(PoolError::OverCapacity { capacity: 2 })
        );
        // A body consensus needs is admitted anyway.
        p.insert(pooled(3, 128, 100), 1, true).unwrap();
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn keyed_by_hash_duplicates_refused() {
        let mut p = TxPool::new(10);
        p.insert(pooled(1, 128, 100), 1, false).unwrap();
        let h = pooled(1, 128, 100).context.tx_hash;
        assert_eq!(p.insert(pooled(1, 128, 100), 1, false), Err(PoolError::Duplicate { hash: h }));
    }

    #[test]
    fn tombstoned_refused_and_pruned() {
        let mut p = TxPool::new(10);
        assert_eq!(
            p.insert(pooled(1, 128, 5), 5, false),
            Err(PoolError::Tombstoned { tombstone: 5, next_block: 5 })
        );
        p.insert(pooled(1, 128, 6), 4, false).unwrap();
        p.insert(pooled(2, 128, 9), 4, false).unwrap();
        assert_eq!(p.prune(&[], 5), Vec::<Hash32>::new());
        assert_eq!(p.prune(&[], 6), vec![pooled(1, 128, 6).context.tx_hash]);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn spent_key_image_drops_every_tx_spending_it() {
        let mut p = TxPool::new(10);
        let a = pooled(1, 128, 100);
        let mut b = pooled(2, 128, 100);
        b.context.key_images = a.context.key_images.clone();
        p.insert(a.clone(), 1, false).unwrap();
        p.insert(b.clone(), 1, false).unwrap();
        p.insert(pooled(3, 128, 100), 1, false).unwrap();
        let mut gone = vec![a.context.tx_hash, b.context.tx_hash];
        gone.sort();
        assert_eq!(p.prune(&a.context.key_images, 2), gone);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn selects_by_priority_then_age_capped_and_conflict_free() {
        let mut p = TxPool::new(10);
        // Hash order is the reverse of arrival order, so a hash-ordered pick would differ.
        let old = pooled(9, 128, 100);
        let young = pooled(1, 128, 100);
        let rich = pooled(5, 512, 100);
        let mut twin = pooled(7, 1024, 100);
        twin.context.key_images = rich.context.key_images.clone();
        for t in [&old, &young, &rich, &twin] {
            p.insert(t.clone(), 1, false).unwrap();
        }
        assert_eq!(
            p.select(10),
            vec![twin.context.tx_hash, old.context.tx_hash, young.context.tx_hash]
        );
        assert_eq!(p.select(2), vec![twin.context.tx_hash, old.context.tx_hash]);
    }
}
