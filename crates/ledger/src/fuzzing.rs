//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.
//!
//! Disk input: LMDB itself keeps no checksums and trusts its page structure, so a page-level
//! corruption cannot be fuzzed in-process (the C library may crash); `tests/bitrot.rs` flips
//! random bits of `data.mdb` and opens each copy in a child process instead. The fuzzed
//! surface here is every record the ledger decodes from its tables and every block a peer may
//! send: [`fuzz_block_decode`] and [`fuzz_append`].

use mcnode_types::{Decode, Encode};

use crate::block::{BlockData, StoredBlock};
use crate::{Ledger, MemoryLedger, testkit};

/// Decodes arbitrary bytes as a block (network) and as a stored block record (disk); whatever
/// decodes must re-encode to the same bytes. Panics only on a violated invariant.
pub fn fuzz_block_decode(data: &[u8]) {
    if let Ok(b) = BlockData::from_canonical_bytes(data) {
        assert_eq!(b.to_canonical_bytes(), data, "block encoding is not unique");
    }
    if let Ok(s) = StoredBlock::from_canonical_bytes(data) {
        assert_eq!(s.to_canonical_bytes(), data, "stored block encoding is not unique");
    }
}

/// Offers a decoded block to a ledger holding one synthetic block: it must be rejected or
/// appended without panicking, and an appended block must verify.
pub fn fuzz_append(data: &[u8]) {
    let Ok(block) = BlockData::from_canonical_bytes(data) else { return };
    let mut ledger = MemoryLedger::new();
    if testkit::append_synthetic(&mut ledger, 0, 3, 0).is_err() {
        return;
    }
    if ledger.append_block(&block).is_ok() {
        assert!(ledger.verify().is_ok(), "an accepted block left the ledger unsound");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_entry_points_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            fuzz_block_decode(&b);
            fuzz_append(&b);
        }

        // Mutations of a valid block exercise the validation paths past decoding.
        #[test]
        fn fuzz_append_on_mutated_blocks(pos in any::<usize>(), bit in 0u8..8) {
            let base = MemoryLedger::new();
            let mut l = base.clone();
            testkit::append_synthetic(&mut l, 0, 3, 0).unwrap();
            let next = testkit::make_block(&l, testkit::synthetic_contents(10, 2, 0, 1), &[], 0).unwrap();
            let mut bytes = next.to_canonical_bytes();
            let i = pos % bytes.len();
            bytes[i] ^= 1 << bit;
            fuzz_block_decode(&bytes);
            fuzz_append(&bytes);
        }
    }
}
