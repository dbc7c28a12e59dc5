//! [`SimValue`]: the simulator's consensus value, a sorted set of 32-byte transaction hashes
//! that is indistinguishable from `mcnode_scp::TxHashSet` to the SCP core — the same canonical
//! encoding (so the same statement bytes, message ids and nomination priorities) and the same
//! total order — but stored once behind an `Rc` and compared with a single `memcmp`.
//!
//! Why: the SCP core clones and compares values constantly (ballot sets, `less_and_compatible`);
//! with `TxHashSet` (a `Vec<Hash32>`) each clone copies up to K×32 bytes and each comparison
//! makes one call per hash. Sharing and flat comparison keep the core's work and results
//! identical while making whole-network simulation much cheaper (BENCHMARKS.md, "mcnode-sim").
//! Lexicographic order over a sequence of fixed-size 32-byte hashes equals lexicographic order
//! over their concatenated bytes, which is why the order is the same; a property test checks
//! both facts against `TxHashSet`.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

use mcnode_scp::{MAX_TX_HASHES, TxHashSet};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader};

/// A sorted set of transaction hashes shared behind an `Rc` (see the module docs).
#[derive(Clone)]
pub struct SimValue(Rc<Inner>);

struct Inner {
    bytes: Box<[u8]>,
    /// A fast 64-bit digest of `bytes`: unequal digests prove unequal values.
    digest: u64,
}

/// A fast, non-cryptographic 64-bit digest of bytes.
pub fn fast_digest(bytes: &[u8]) -> u64 {
    let mut a: u64 = 0x6A09_E667_F3BC_C908 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        a = (a ^ u64::from_le_bytes(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    a = (a ^ u64::from_le_bytes(last)).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    a ^ (a >> 31)
}

/// Makes equal values share one allocation, so that the SCP core's many comparisons of equal
/// values are pointer comparisons. One interner is shared by all nodes of a simulation.
#[derive(Default)]
pub struct Interner(std::cell::RefCell<std::collections::HashMap<u64, Vec<SimValue>>>);

impl Interner {
    /// The shared copy of `v`.
    pub fn intern(&self, v: SimValue) -> SimValue {
        let mut map = self.0.borrow_mut();
        let bucket = map.entry(v.0.digest).or_default();
        if let Some(x) = bucket.iter().find(|x| x.0.bytes == v.0.bytes) {
            return x.clone();
        }
        bucket.push(v.clone());
        v
    }

    /// Forgets values nobody else holds any more.
    pub fn prune(&self) {
        self.0.borrow_mut().retain(|_, b| {
            b.retain(|v| Rc::strong_count(&v.0) > 1);
            !b.is_empty()
        });
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interner({} digests)", self.0.borrow().len())
    }
}

impl SimValue {
    /// A set holding `hashes` (any order, duplicates dropped).
    pub fn from_hashes(hashes: impl IntoIterator<Item = Hash32>) -> Self {
        let mut v: Vec<Hash32> = hashes.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        Self::from_sorted(&v)
    }

    fn from_sorted(v: &[Hash32]) -> Self {
        let mut bytes = Vec::with_capacity(v.len() * 32);
        for h in v {
            bytes.extend_from_slice(&h.0);
        }
        let digest = fast_digest(&bytes);
        SimValue(Rc::new(Inner { bytes: bytes.into_boxed_slice(), digest }))
    }

    /// Number of hashes.
    pub fn len(&self) -> usize {
        self.0.bytes.len() / 32
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.bytes.is_empty()
    }

    /// The hashes in increasing order.
    pub fn hashes(&self) -> impl Iterator<Item = Hash32> + '_ {
        self.0.bytes.chunks_exact(32).map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            Hash32(h)
        })
    }

    /// Whether `h` is in the set.
    pub fn contains(&self, h: &Hash32) -> bool {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.0.bytes[mid * 32..mid * 32 + 32].cmp(&h.0[..]) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return true,
            }
        }
        false
    }

    /// The fast digest of the value's bytes (equal values, equal digests).
    pub fn digest(&self) -> u64 {
        self.0.digest
    }

    /// The same set as a `TxHashSet`.
    pub fn to_tx_hash_set(&self) -> TxHashSet {
        TxHashSet::from_hashes(self.hashes())
    }

    /// The same set from a `TxHashSet`.
    pub fn from_tx_hash_set(s: &TxHashSet) -> Self {
        Self::from_sorted(s.as_slice())
    }

    /// The sorted union of `sets`, keeping the `cap` smallest hashes (the same function as
    /// `TxHashSet::union_capped`).
    pub fn union_capped<'a>(sets: impl IntoIterator<Item = &'a SimValue>, cap: usize) -> Self {
        let all: Vec<TxHashSet> = sets.into_iter().map(SimValue::to_tx_hash_set).collect();
        Self::from_tx_hash_set(&TxHashSet::union_capped(&all, cap))
    }
}

impl PartialEq for SimValue {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0) || (self.0.digest == o.0.digest && self.0.bytes == o.0.bytes)
    }
}
impl Eq for SimValue {}

impl PartialOrd for SimValue {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for SimValue {
    fn cmp(&self, o: &Self) -> Ordering {
        if Rc::ptr_eq(&self.0, &o.0) { Ordering::Equal } else { self.0.bytes.cmp(&o.0.bytes) }
    }
}

impl std::hash::Hash for SimValue {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.digest);
    }
}

impl fmt::Debug for SimValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.hashes().next().map(|h| h.short()).unwrap_or_default();
        write!(f, "SimValue({} hashes from {first})", self.len())
    }
}

impl Encode for SimValue {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.len() as u32).encode(out);
        out.extend_from_slice(&self.0.bytes);
    }
}

impl Decode for SimValue {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let v: Vec<Hash32> = r.seq(MAX_TX_HASHES)?;
        if !v.windows(2).all(|w| w[0] < w[1]) {
            return Err(DecodeError::Invalid {
                what: "tx hash set",
                reason: "hashes not strictly increasing",
            });
        }
        Ok(Self::from_sorted(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(bytes: &[u8]) -> Vec<Hash32> {
        bytes.iter().map(|b| Hash32([*b; 32])).collect()
    }

    proptest! {
        #[test]
        fn same_order_and_encoding_as_tx_hash_set(
            a in proptest::collection::vec(any::<u8>(), 0..6),
            b in proptest::collection::vec(any::<u8>(), 0..6),
        ) {
            let (ta, tb) = (TxHashSet::from_hashes(set(&a)), TxHashSet::from_hashes(set(&b)));
            let (sa, sb) = (SimValue::from_hashes(set(&a)), SimValue::from_hashes(set(&b)));
            prop_assert_eq!(ta.cmp(&tb), sa.cmp(&sb));
            prop_assert_eq!(ta == tb, sa == sb);
            prop_assert_eq!(ta.to_canonical_bytes(), sa.to_canonical_bytes());
            prop_assert_eq!(SimValue::from_canonical_bytes(&ta.to_canonical_bytes()).unwrap(), sa.clone());
            prop_assert_eq!(sa.to_tx_hash_set(), ta.clone());
            prop_assert_eq!(
                SimValue::union_capped([&sa, &sb], 3).to_tx_hash_set(),
                TxHashSet::union_capped([&ta, &tb], 3)
            );
            for h in set(&b) {
                prop_assert_eq!(sa.contains(&h), ta.contains(&h));
            }
        }
    }

    #[test]
    fn interner_shares_equal_values() {
        let i = Interner::default();
        let a = i.intern(SimValue::from_hashes(set(&[1, 2])));
        let b = i.intern(SimValue::from_hashes(set(&[2, 1])));
        assert!(Rc::ptr_eq(&a.0, &b.0));
        let c = i.intern(SimValue::from_hashes(set(&[3])));
        assert!(!Rc::ptr_eq(&a.0, &c.0));
        drop((a, b));
        i.prune();
        assert_eq!(i.0.borrow().len(), 1);
    }

    #[test]
    fn decode_rejects_unsorted() {
        let mut bytes = 2u32.to_canonical_bytes();
        bytes.extend_from_slice(&[2; 32]);
        bytes.extend_from_slice(&[1; 32]);
        assert!(SimValue::from_canonical_bytes(&bytes).is_err());
    }
}
