//! The application rules every simulated node gives its SCP core.
//!
//! A value (a [`TxHashSet`]) is valid for slot `s` when it is non-empty, holds at most K
//! hashes, every hash is a value the workload has already submitted (a real node checks the
//! transaction itself; the simulator knows which hashes are real), and no hash was already
//! externalized by this node in a slot before `s` (a spent transaction cannot be spent again).
//! Candidates combine by the capped sorted union of `mcnode-scp`'s [`TxSetDriver`].

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use mcnode_scp::{Driver, TxHashSet, TxSetDriver, Validity};
use mcnode_types::{Hash32, SlotIndex};

/// The workload's values, known to every node's driver.
#[derive(Debug)]
pub struct Workload {
    /// Value `i` is `values[i]`.
    pub values: Vec<Hash32>,
    /// Index of each value.
    pub index: HashMap<Hash32, u64>,
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
        self.index.get(h).is_some_and(|i| *i < self.submitted.get())
    }
}

/// The driver of one simulated node.
#[derive(Debug)]
pub struct SimDriver {
    inner: TxSetDriver,
    workload: Rc<Workload>,
    /// Slot in which this node externalized each hash.
    spent: HashMap<Hash32, SlotIndex>,
    /// A Byzantine `conflicting-values` node accepts anything well-formed.
    permissive: bool,
}

impl SimDriver {
    /// A driver with block cap `max_values`.
    pub fn new(max_values: usize, workload: Rc<Workload>, permissive: bool) -> Self {
        SimDriver {
            inner: TxSetDriver { max_values },
            workload,
            spent: HashMap::new(),
            permissive,
        }
    }

    /// Records that `value` was externalized in `slot`.
    pub fn spend(&mut self, slot: SlotIndex, value: &TxHashSet) {
        for h in value.as_slice() {
            self.spent.entry(*h).or_insert(slot);
        }
    }

    fn hash_ok(&self, slot: SlotIndex, h: &Hash32) -> bool {
        self.workload.is_submitted(h) && self.spent.get(h).is_none_or(|s| *s >= slot)
    }
}

impl Driver<TxHashSet> for SimDriver {
    fn validate(&mut self, slot: SlotIndex, value: &TxHashSet) -> Validity {
        let base = self.inner.validate(slot, value);
        if self.permissive || base != Validity::Valid {
            return base;
        }
        if value.as_slice().iter().all(|h| self.hash_ok(slot, h)) {
            Validity::Valid
        } else {
            Validity::Invalid
        }
    }

    fn combine(&mut self, slot: SlotIndex, candidates: &[TxHashSet]) -> Option<TxHashSet> {
        self.inner.combine(slot, candidates)
    }

    fn extract_valid(&mut self, slot: SlotIndex, value: &TxHashSet) -> Option<TxHashSet> {
        if self.permissive {
            return self.inner.extract_valid(slot, value);
        }
        let good = value.as_slice().iter().filter(|h| self.hash_ok(slot, h)).copied();
        let out = TxHashSet::union_capped([&TxHashSet::from_hashes(good)], self.inner.max_values);
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
