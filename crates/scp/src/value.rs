//! The value type the node and simulator use: a sorted set of 32-byte transaction hashes, and
//! the combine rule "sorted union, capped at K" (DESIGN.md: values are tx hashes merged by a
//! deterministic combine function).

use std::sync::Arc;

use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader, SlotIndex};

use crate::driver::{Driver, Validity};

/// Most hashes a [`TxHashSet`] may hold on the wire.
pub const MAX_TX_HASHES: u32 = 65_536;

/// Domain tag of [`TxHashSet::digest`].
pub const TX_SET_DIGEST_DOMAIN: &[u8] = b"mcnode-scp-txset-v1";

/// A set of transaction hashes, kept sorted and unique.
///
/// The consensus core compares and clones values constantly (every ballot comparison, every
/// predicate over the latest statements), so this type is built for that: the hashes sit
/// behind an `Arc` (a clone is a reference count) together with their digest
/// ([`TxHashSet::digest`], SHA-256 of the canonical encoding), and equality and order compare
/// the digest only — 32 bytes instead of up to `32 * len`. The order is therefore
/// "by digest": arbitrary but identical on every node, which is all SCP needs of it.
///
/// Its encoding is a `u32` count and the hashes in increasing order; decoding rejects
/// unsorted or repeated hashes, so every set has exactly one encoding.
#[derive(Clone)]
pub struct TxHashSet(Arc<Inner>);

struct Inner {
    digest: Hash32,
    hashes: Vec<Hash32>,
}

impl PartialEq for TxHashSet {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.digest == other.0.digest
    }
}

impl Eq for TxHashSet {}

impl PartialOrd for TxHashSet {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TxHashSet {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.digest.cmp(&other.0.digest)
    }
}

impl std::hash::Hash for TxHashSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.digest.hash(state);
    }
}

impl std::fmt::Debug for TxHashSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TxHashSet({} hashes, {})", self.0.hashes.len(), self.0.digest.short())
    }
}

impl Default for TxHashSet {
    fn default() -> Self {
        TxHashSet::from_sorted(Vec::new())
    }
}

impl TxHashSet {
    /// The empty set.
    pub fn new() -> Self {
        TxHashSet::default()
    }

    fn from_sorted(hashes: Vec<Hash32>) -> Self {
        let mut enc = Vec::with_capacity(4 + 32 * hashes.len());
        hashes.encode(&mut enc);
        let digest = Hash32::digest(TX_SET_DIGEST_DOMAIN, &enc);
        TxHashSet(Arc::new(Inner { digest, hashes }))
    }

    /// A set holding `hashes` (any order, duplicates dropped).
    pub fn from_hashes(hashes: impl IntoIterator<Item = Hash32>) -> Self {
        let mut v: Vec<Hash32> = hashes.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        TxHashSet::from_sorted(v)
    }

    /// The hashes in increasing order.
    pub fn as_slice(&self) -> &[Hash32] {
        &self.0.hashes
    }

    /// SHA-256 (domain [`TX_SET_DIGEST_DOMAIN`]) of the canonical encoding.
    pub fn digest(&self) -> Hash32 {
        self.0.digest
    }

    /// Number of hashes.
    pub fn len(&self) -> usize {
        self.0.hashes.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.hashes.is_empty()
    }

    /// Whether `h` is in the set.
    pub fn contains(&self, h: &Hash32) -> bool {
        self.0.hashes.binary_search(h).is_ok()
    }

    /// The sorted union of `sets`, keeping only the `cap` smallest hashes. Deterministic and
    /// independent of the order of `sets`.
    pub fn union_capped<'a>(sets: impl IntoIterator<Item = &'a TxHashSet>, cap: usize) -> Self {
        let mut all: Vec<Hash32> =
            sets.into_iter().flat_map(|s| s.0.hashes.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all.truncate(cap);
        TxHashSet::from_sorted(all)
    }
}

impl Encode for TxHashSet {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.hashes.encode(out);
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
        Ok(TxHashSet::from_sorted(v))
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
