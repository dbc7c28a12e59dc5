//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use std::path::Path;

/// Parses arbitrary bytes as a scenario file and as a stellarbeat topology; must never panic,
/// and a topology that parses has only valid quorum sets.
pub fn fuzz_scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ =
        crate::scenario::parse_scenario(text, Path::new("fuzz.json"), Path::new("/nonexistent"));
    if let Ok(t) = crate::topology::Topology::from_stellarbeat_str(text, "fuzz") {
        for n in &t.nodes {
            assert!(n.qset.validate().is_ok(), "accepted an invalid quorum set");
        }
    }
}

/// Decodes arbitrary bytes as a statement over [`crate::SimValue`] (what honest simulated nodes
/// do with a `garbage` node's bytes): it must accept exactly what the `TxHashSet` decoder
/// accepts, and re-encode to the same bytes.
pub fn fuzz_statement_decode(data: &[u8]) {
    use mcnode_scp::{Statement, TxHashSet};
    use mcnode_types::{Decode, Encode};
    let ours = Statement::<crate::SimValue>::from_canonical_bytes(data);
    let theirs = Statement::<TxHashSet>::from_canonical_bytes(data);
    assert_eq!(ours.is_ok(), theirs.is_ok(), "SimValue and TxHashSet decoders disagree");
    if let Ok(st) = ours {
        assert_eq!(st.to_canonical_bytes(), data, "encoding is not canonical");
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_scenario_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            super::fuzz_scenario(&b);
        }

        #[test]
        fn fuzz_statement_decode_on_random_and_mutated_input(
            b in proptest::collection::vec(any::<u8>(), 0..300),
            flip in any::<(usize, u8)>(),
        ) {
            super::fuzz_statement_decode(&b);
            let st = mcnode_scp::Statement {
                node_id: mcnode_types::NodeId([1; 32]),
                slot: 2,
                quorum_set_hash: mcnode_types::Hash32::ZERO,
                pledge: mcnode_scp::Pledge::Nominate(mcnode_scp::Nominate {
                    votes: vec![crate::SimValue::from_hashes([mcnode_types::Hash32([3; 32])])],
                    accepted: vec![],
                }),
            };
            let mut bytes = mcnode_types::Encode::to_canonical_bytes(&st);
            super::fuzz_statement_decode(&bytes);
            let at = flip.0 % bytes.len();
            bytes[at] ^= flip.1;
            super::fuzz_statement_decode(&bytes);
        }

        #[test]
        fn fuzz_scenario_on_json_like_input(s in r#"[\[\]{}":,0-9a-z ]{0,120}"#) {
            super::fuzz_scenario(s.as_bytes());
            let wrapped = format!(r#"{{"topology": [{{"publicKey": "A", "quorumSet": {s}}}]}}"#);
            super::fuzz_scenario(wrapped.as_bytes());
        }
    }
}
