//! The value type the node and simulator use: a sorted set of 32-byte transaction hashes, and
//! the combine rule "sorted union, capped at K" (DESIGN.md: values are tx hashes merged by a
//! deterministic combine function).

use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader, SlotIndex};

use crate::driver::{Driver, Validity};

/// Most hashes a [`TxHashSet`] may hold on the wire.
pub const MAX_TX_HASHES: u32 = 65_536;

/// A set of transaction hashes, kept sorted and unique. Orders lexicographically as a sorted
/// sequence. Its encoding is a `u32` count and the hashes in increasing order; decoding rejects
/// unsorted or repeated hashes, so every set has exactly one encoding.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxHashSet(Vec<Hash32>);

impl TxHashSet {
    /// The empty set.
    pub fn new() -> Self {
        TxHashSet(Vec::new())
    }

    /// A set holding `hashes` (any order, duplicates dropped).
    pub fn from_hashes(hashes: impl IntoIterator<Item = Hash32>) -> Self {
        let mut v: Vec<Hash32> = hashes.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        TxHashSet(v)
    }

    /// The hashes in increasing order.
    pub fn as_slice(&self) -> &[Hash32] {
        &self.0
    }

    /// Number of hashes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `h` is in the set.
    pub fn contains(&self, h: &Hash32) -> bool {
        self.0.binary_search(h).is_ok()
    }

    /// The sorted union of `sets`, keeping only the `cap` smallest hashes. Deterministic and
    /// independent of the order of `sets`.
    pub fn union_capped<'a>(sets: impl IntoIterator<Item = &'a TxHashSet>, cap: usize) -> Self {
        let mut all: Vec<Hash32> = sets.into_iter().flat_map(|s| s.0.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all.truncate(cap);
        TxHashSet(all)
    }
}

impl Encode for TxHashSet {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
}

impl Decode for TxHashSet {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let v: Vec<Hash32> = r.seq(MAX_TX_HASHES)?;
        if !crate::statement::strictly_sorted(&v) {
            return Err(DecodeError::Invalid {
                what: "tx hash set",
                reason: "hashes not strictly increasing",
            });
        }
        Ok(TxHashSet(v))
    }
}

/// A [`Driver`] for [`TxHashSet`] values: a value is valid when it is non-empty and holds at
/// most `max_values` hashes; candidates combine by [`TxHashSet::union_capped`]. Applications
/// with more rules (known transactions, fees) wrap it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxSetDriver {
    /// The block size cap K.
    pub max_values: usize,
}

impl Driver<TxHashSet> for TxSetDriver {
    fn validate(&mut self, _slot: SlotIndex, value: &TxHashSet) -> Validity {
        if value.is_empty() || value.len() > self.max_values {
            Validity::Invalid
        } else {
            Validity::Valid
        }
    }

    fn combine(&mut self, _slot: SlotIndex, candidates: &[TxHashSet]) -> Option<TxHashSet> {
        let out = TxHashSet::union_capped(candidates, self.max_values);
        (!out.is_empty()).then_some(out)
    }

    fn extract_valid(&mut self, _slot: SlotIndex, value: &TxHashSet) -> Option<TxHashSet> {
        let out = TxHashSet::union_capped([value], self.max_values);
        (!out.is_empty()).then_some(out)
    }
}
