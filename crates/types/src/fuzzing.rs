//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use crate::{Decode, Encode, Hash32, NodeId};

/// Decodes arbitrary bytes as a few canonical types; whatever decodes must re-encode to the
/// same bytes (one value, one encoding). Panics only on a violated invariant.
pub fn fuzz_decode(data: &[u8]) {
    if let Ok(v) = Vec::<(Option<Hash32>, NodeIdList)>::from_canonical_bytes(data) {
        assert_eq!(v.to_canonical_bytes(), data, "canonical encoding is not unique");
    }
}

/// A helper pair type so the fuzzer exercises nesting.
type NodeIdList = Vec<NodeId>;

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    fn decode(r: &mut crate::Reader<'_>) -> Result<Self, crate::DecodeError> {
        Ok((A::decode(r)?, B::decode(r)?))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_decode_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            super::fuzz_decode(&b);
        }
    }
}
