//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use mcnode_types::{Decode, Encode};

use crate::CompressedPoint;

/// Decodes arbitrary bytes as a compressed point and tries to decompress it: must never panic,
/// and a decoded value must re-encode to the same bytes.
pub fn fuzz_point(data: &[u8]) {
    if let Ok(p) = CompressedPoint::from_canonical_bytes(data) {
        assert_eq!(p.to_canonical_bytes(), data);
        if let Ok(point) = p.decompress() {
            assert_eq!(CompressedPoint::from_point(&point), p, "decompression is canonical");
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_point_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            super::fuzz_point(&b);
        }
    }
}
