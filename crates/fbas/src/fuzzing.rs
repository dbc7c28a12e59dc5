//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use crate::{Grouping, input};

/// Parses arbitrary bytes as stellarbeat JSON (and as an organisations file against the result).
/// Whatever parses must survive a write/parse round trip unchanged and support the cheap
/// analyses. Panics only on a violated invariant.
pub fn fuzz_stellarbeat_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(fbas) = input::parse_stellarbeat(text) else { return };
    let again = input::parse_stellarbeat(&input::to_stellarbeat(&fbas).to_string()).ok();
    assert_eq!(again.as_ref(), Some(&fbas), "stellarbeat JSON does not round-trip");
    let greatest = fbas.max_quorum(&fbas.all());
    assert!(greatest.is_empty() || fbas.is_quorum(&greatest));
    let _ = input::parse_organizations(text, &fbas).map(|g: Grouping| g.len());
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_stellarbeat_json_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            super::fuzz_stellarbeat_json(&b);
        }

        #[test]
        fn fuzz_stellarbeat_json_on_near_valid_input(
            t in 0u64..5, v in proptest::collection::vec("[a-c]", 0..4), cut in 0usize..120
        ) {
            let text = format!(
                r#"[{{"publicKey":"a","quorumSet":{{"threshold":{t},"validators":{v:?},"innerQuorumSets":[]}}}},{{"publicKey":"b"}}]"#
            );
            super::fuzz_stellarbeat_json(text.as_bytes());
            super::fuzz_stellarbeat_json(&text.as_bytes()[..cut.min(text.len())]);
        }
    }
}
