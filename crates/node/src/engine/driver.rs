//! The SCP [`Driver`] of a node: which transaction-hash sets this node may vote for, and how
//! confirmed candidates combine.
//!
//! Validity is per node, as in MobileCoin (`byzantine_ledger/worker.rs` validity function over
//! its own `tx_manager`): a hash whose body this node's enclave validated (it is in the pool, or
//! in the block being formed) is known; a set is
//! - [`Validity::Invalid`] if it is empty, larger than `max_values`, holds a hash this node
//!   retired (its key image landed in a block, or its tombstone passed), or two known
//!   transactions in it spend the same key image;
//! - [`Validity::MaybeValidLater`] if it holds a hash whose body this node has not seen: the
//!   hash is recorded in [`NodeDriver::take_missing`] and the engine fetches it (`GetTxs`);
//! - [`Validity::Valid`] otherwise.
//!
//! It also remembers the key images spent by the latest appended blocks
//! ([`NodeDriver::spend`]), so the engine can refuse a transaction whose ledger check raced a
//! block append (stellar-core and MobileCoin likewise re-check pending transactions against
//! each new ledger): such a transaction can never be included, and a node that pooled it would
//! nominate values no peer accepts.
//!
//! Combine (draft §2.2 "combine"; DESIGN.md): the sorted union of the candidates, dropping a
//! transaction whose key image an earlier one (in hash order) spends, capped at `max_values`.
//! Every node computes it from the same candidates and the same key images, so it is
//! deterministic across nodes.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use mcnode_scp::{Driver, TxHashSet, Validity};
use mcnode_tx::KeyImage;
use mcnode_types::{Hash32, SlotIndex};

/// How many retired hashes are remembered (to call sets holding them invalid).
pub const RETIRED_MEMORY: usize = 20_000;

/// How many key images of appended blocks are remembered (to refuse late transactions
/// spending them).
pub const SPENT_MEMORY: usize = 20_000;

/// The driver. The engine keeps its `known` map in step with the pool.
#[derive(Clone, Debug, Default)]
pub struct NodeDriver {
    max_values: usize,
    known: HashMap<Hash32, Vec<KeyImage>>,
    retired: HashSet<Hash32>,
    retired_order: VecDeque<Hash32>,
    spent: HashSet<KeyImage>,
    spent_order: VecDeque<KeyImage>,
    missing: BTreeSet<Hash32>,
}

impl NodeDriver {
    /// A driver for blocks of at most `max_values` transactions.
    pub fn new(max_values: usize) -> Self {
        NodeDriver { max_values, ..NodeDriver::default() }
    }

    /// This node's enclave validated the transaction `hash` spending `key_images`.
    pub fn learn(&mut self, hash: Hash32, key_images: Vec<KeyImage>) {
        self.missing.remove(&hash);
        self.known.insert(hash, key_images);
    }

    /// The transaction can never be included any more (spent or tombstoned).
    pub fn retire(&mut self, hash: Hash32) {
        self.known.remove(&hash);
        if self.retired.insert(hash) {
            self.retired_order.push_back(hash);
            while self.retired_order.len() > RETIRED_MEMORY {
                if let Some(old) = self.retired_order.pop_front() {
                    self.retired.remove(&old);
                }
            }
        }
    }

    /// An appended block spent these key images.
    pub fn spend(&mut self, key_images: &[KeyImage]) {
        for ki in key_images {
            if self.spent.insert(*ki) {
                self.spent_order.push_back(*ki);
            }
        }
        while self.spent_order.len() > SPENT_MEMORY {
            if let Some(old) = self.spent_order.pop_front() {
                self.spent.remove(&old);
            }
        }
    }

    /// Whether a remembered appended block spent one of `key_images`.
    pub fn spends_spent(&self, key_images: &[KeyImage]) -> bool {
        key_images.iter().any(|k| self.spent.contains(k))
    }

    /// Whether the body of `hash` is known.
    pub fn knows(&self, hash: &Hash32) -> bool {
        self.known.contains_key(hash)
    }

    /// Whether `hash` was retired (spent or tombstoned): a value naming it is invalid, and there
    /// is no body to fetch.
    pub fn is_retired(&self, hash: &Hash32) -> bool {
        self.retired.contains(hash)
    }

    /// Hashes met in a value whose bodies are unknown, since the last call.
    pub fn take_missing(&mut self) -> Vec<Hash32> {
        std::mem::take(&mut self.missing).into_iter().collect()
    }

    /// The hashes of `hashes` that are known and conflict-free (in order), capped.
    fn valid_subset<'a>(&self, hashes: impl Iterator<Item = &'a Hash32>) -> Vec<Hash32> {
        let mut spent: HashSet<KeyImage> = HashSet::new();
        let mut out = Vec::new();
        for h in hashes {
            if out.len() >= self.max_values {
                break;
            }
            let Some(kis) = self.known.get(h) else { continue };
            if kis.iter().any(|k| spent.contains(k)) {
                continue;
            }
            spent.extend(kis.iter().copied());
            out.push(*h);
        }
        out
    }
}

impl Driver<TxHashSet> for NodeDriver {
    fn validate(&mut self, _slot: SlotIndex, value: &TxHashSet) -> Validity {
        if value.is_empty() || value.len() > self.max_values {
            return Validity::Invalid;
        }
        let mut spent: HashSet<KeyImage> = HashSet::new();
        let mut unknown = Vec::new();
        for h in value.as_slice() {
            if self.retired.contains(h) {
                return Validity::Invalid;
            }
            match self.known.get(h) {
                Some(kis) => {
                    for k in kis {
                        if !spent.insert(*k) {
                            return Validity::Invalid;
                        }
                    }
                }
                None => unknown.push(*h),
            }
        }
        if unknown.is_empty() {
            Validity::Valid
        } else {
            self.missing.extend(unknown);
            Validity::MaybeValidLater
        }
    }

    fn combine(&mut self, _slot: SlotIndex, candidates: &[TxHashSet]) -> Option<TxHashSet> {
        let all: BTreeSet<Hash32> =
            candidates.iter().flat_map(|c| c.as_slice().iter().copied()).collect();
        let picked = self.valid_subset(all.iter());
        (!picked.is_empty()).then(|| TxHashSet::from_hashes(picked))
    }

    fn extract_valid(&mut self, _slot: SlotIndex, value: &TxHashSet) -> Option<TxHashSet> {
        // Retired hashes are no longer known, so the known subset excludes them too.
        let picked = self.valid_subset(value.as_slice().iter());
        (!picked.is_empty()).then(|| TxHashSet::from_hashes(picked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ki(b: u8) -> KeyImage {
        KeyImage::from([b; 32])
    }

    fn h(b: u8) -> Hash32 {
        Hash32([b; 32])
    }

    #[test]
    fn known_valid_unknown_later_and_fetched() {
        let mut d = NodeDriver::new(10);
        d.learn(h(1), vec![ki(1)]);
        assert_eq!(d.validate(1, &TxHashSet::from_hashes([h(1)])), Validity::Valid);
        assert_eq!(d.validate(1, &TxHashSet::from_hashes([h(1), h(2)])), Validity::MaybeValidLater);
        assert_eq!(d.take_missing(), vec![h(2)]);
        assert!(d.take_missing().is_empty());
    }

    #[test]
    fn retired_conflicting_empty_and_oversized_sets_are_invalid() {
        let mut d = NodeDriver::new(2);
        d.learn(h(1), vec![ki(1)]);
        d.learn(h(2), vec![ki(1)]);
        d.learn(h(3), vec![ki(3)]);
        d.learn(h(4), vec![ki(4)]);
        assert_eq!(d.validate(1, &TxHashSet::from_hashes([h(1), h(2)])), Validity::Invalid);
        assert_eq!(d.validate(1, &TxHashSet::new()), Validity::Invalid);
        assert_eq!(d.validate(1, &TxHashSet::from_hashes([h(1), h(3), h(4)])), Validity::Invalid);
        d.retire(h(3));
        assert_eq!(d.validate(1, &TxHashSet::from_hashes([h(3)])), Validity::Invalid);
    }

    #[test]
    fn spent_key_images_are_remembered_within_a_bound() {
        let mut d = NodeDriver::new(10);
        d.spend(&[ki(1)]);
        assert!(d.spends_spent(&[ki(2), ki(1)]));
        assert!(!d.spends_spent(&[ki(2)]));
        let many: Vec<KeyImage> = (0..SPENT_MEMORY as u32)
            .map(|i| KeyImage::from(Hash32::digest(b"t", &i.to_le_bytes()).0))
            .collect();
        d.spend(&many);
        assert!(!d.spends_spent(&[ki(1)]), "the oldest is forgotten past the bound");
        assert!(d.spends_spent(&many[..1]));
    }

    #[test]
    fn combine_is_capped_union_without_key_image_conflicts() {
        let mut d = NodeDriver::new(2);
        d.learn(h(1), vec![ki(1)]);
        d.learn(h(2), vec![ki(1)]);
        d.learn(h(3), vec![ki(3)]);
        d.learn(h(4), vec![ki(4)]);
        let c = [TxHashSet::from_hashes([h(2), h(4)]), TxHashSet::from_hashes([h(1), h(3)])];
        assert_eq!(d.combine(1, &c), Some(TxHashSet::from_hashes([h(1), h(3)])));
    }
}
