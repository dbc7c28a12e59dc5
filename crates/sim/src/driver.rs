//! The workload: the transactions (bare 32-byte hashes) a run submits, and hash-keyed maps.
//!
//! Which values a node may vote for is no longer decided here: every simulated node runs the
//! node's real engine, whose driver (`mcnode_node::engine::NodeDriver`) accepts only hashes
//! this node's (simulated) enclave has seen, that were not already included, and fetches the
//! bodies of unknown ones from peers.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use mcnode_types::Hash32;

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
