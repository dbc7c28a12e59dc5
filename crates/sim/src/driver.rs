//! The application rules every simulated node gives its SCP core.
//!
//! A value (a [`TxHashSet`]) is valid for slot `s` when it is non-empty, holds at most K
//! hashes, every hash is a value the workload has already submitted (a real node checks the
//! transaction itself; the simulator knows which hashes are real), and no hash was already
//! externalized by this node in a slot before `s` (a spent transaction cannot be spent again).
//! Candidates combine by the capped sorted union of `mcnode-scp`'s [`TxSetDriver`].

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use mcnode_scp::{Driver, Validity};

use mcnode_scp::TxHashSet;
use mcnode_types::{Hash32, SlotIndex};

/// A hasher for keys that are already uniformly random (SHA-256 outputs): it keeps the first
/// eight bytes written. Not for attacker-chosen keys; the simulator's keys are its own hashes
/// (a Byzantine node's fabricated values only ever miss).
#[derive(Clone, Copy, Debug, Default)]
pub struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut b = [0u8; 8];
        let n = bytes.len().min(8);
        b[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(b);
    }
    fn write_usize(&mut self, _: usize) {}
}

/// A map keyed by hashes.
pub type HashMap32<V> = HashMap<Hash32, V, BuildHasherDefault<PrehashedHasher>>;

/// The workload's values, known to every node's driver.
#[derive(Debug)]
pub struct Workload {
    /// Value `i` is `values[i]`.
    pub values: Vec<Hash32>,
    /// Index of each value.
    pub index: HashMap32<u64>,
    /// How many values have been submitted so far (values `0..submitted`).
    pub submitted: Cell<u64>,
}

/// Domain tag of workload values.
pub const VALUE_DOMAIN: &[u8] = b"mcnode-sim-value";

impl Workload {
    /// `count` distinct pseudo-random 32-byte values derived from `seed`.
    pub fn new(seed: u64, count: u64) -> Self {
        let values: Vec<Hash32> = (0..count)
            .map(|i| {
                let mut data = seed.to_be_bytes().to_vec();
                data.extend_from_slice(&i.to_be_bytes());
                Hash32::digest(VALUE_DOMAIN, &data)
            })
            .collect();
        let index = values.iter().enumerate().map(|(i, v)| (*v, i as u64)).collect();
        Workload { values, index, submitted: Cell::new(0) }
    }

    /// Whether `h` is a value that has been submitted.
    pub fn is_submitted(&self, h: &Hash32) -> bool {
        self.submitted_index(h).is_some()
    }

    /// The index of `h` if it is a submitted value.
    pub fn submitted_index(&self, h: &Hash32) -> Option<usize> {
        self.index.get(h).filter(|i| **i < self.submitted.get()).map(|i| *i as usize)
    }
}

/// The driver of one simulated node.
#[derive(Debug)]
pub struct SimDriver {
    max_values: usize,
    workload: Rc<Workload>,
    /// Slot in which this node externalized each workload value (`SlotIndex::MAX`: not yet).
    spent: Vec<SlotIndex>,
    /// A Byzantine `conflicting-values` node accepts anything well-formed.
    permissive: bool,
    /// Values recently found valid, with their slot (cleared whenever `spent` changes; a
    /// valid value stays valid while only submissions happen).
    valid_cache: Vec<(TxHashSet, SlotIndex)>,
}

impl SimDriver {
    /// A driver with block cap `max_values`.
    pub fn new(max_values: usize, workload: Rc<Workload>, permissive: bool) -> Self {
        SimDriver {
            max_values,
            spent: vec![SlotIndex::MAX; workload.values.len()],
            workload,
            permissive,
            valid_cache: Vec::new(),
        }
    }

    /// Records that `value` was externalized in `slot`.
    pub fn spend(&mut self, slot: SlotIndex, value: &TxHashSet) {
        self.valid_cache.clear();
        for &h in value.as_slice() {
            if let Some(i) = self.workload.index.get(&h) {
                let s = &mut self.spent[*i as usize];
                *s = (*s).min(slot);
            }
        }
    }

    fn hash_ok(&self, slot: SlotIndex, h: &Hash32) -> bool {
        self.workload.submitted_index(h).is_some_and(|i| self.spent[i] >= slot)
    }
}

impl Driver<TxHashSet> for SimDriver {
    fn validate(&mut self, slot: SlotIndex, value: &TxHashSet) -> Validity {
        if value.is_empty() || value.len() > self.max_values {
            return Validity::Invalid;
        }
        if self.valid_cache.iter().any(|(v, s)| *s == slot && v == value) {
            return Validity::Valid;
        }
        if self.permissive || value.as_slice().iter().copied().all(|h| self.hash_ok(slot, &h)) {
            if self.valid_cache.len() >= 8 {
                self.valid_cache.remove(0);
            }
            self.valid_cache.push((value.clone(), slot));
            Validity::Valid
        } else {
            Validity::Invalid
        }
    }

    fn combine(&mut self, _slot: SlotIndex, candidates: &[TxHashSet]) -> Option<TxHashSet> {
        let out = TxHashSet::union_capped(candidates, self.max_values);
        (!out.is_empty()).then_some(out)
    }

    fn extract_valid(&mut self, slot: SlotIndex, value: &TxHashSet) -> Option<TxHashSet> {
        let good: Vec<Hash32> = if self.permissive {
            value.as_slice().to_vec()
        } else {
            value.as_slice().iter().copied().filter(|h| self.hash_ok(slot, h)).collect()
        };
        let out = TxHashSet::union_capped([&TxHashSet::from_hashes(good)], self.max_values);
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_submitted_unspent_values_are_valid() {
        let w = Rc::new(Workload::new(1, 4));
        let mut d = SimDriver::new(2, Rc::clone(&w), false);
        let v01 = TxHashSet::from_hashes([w.values[0], w.values[1]]);
        assert_eq!(d.validate(1, &v01), Validity::Invalid, "not yet submitted");
        w.submitted.set(3);
        assert_eq!(d.validate(1, &v01), Validity::Valid);
        let too_many = TxHashSet::from_hashes(w.values[..3].iter().copied());
        assert_eq!(d.validate(1, &too_many), Validity::Invalid, "above the cap");
        let fake = TxHashSet::from_hashes([Hash32([9; 32]), w.values[2]]);
        assert_eq!(d.validate(1, &fake), Validity::Invalid);
        assert_eq!(d.extract_valid(1, &fake), Some(TxHashSet::from_hashes([w.values[2]])));
        d.spend(1, &v01);
        assert_eq!(d.validate(1, &v01), Validity::Valid, "same slot still fine");
        assert_eq!(d.validate(2, &v01), Validity::Invalid, "spent in an earlier slot");
        let mut p = SimDriver::new(2, w, true);
        assert_eq!(p.validate(5, &fake), Validity::Valid);
    }
}
