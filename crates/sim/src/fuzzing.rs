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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fuzz_scenario_on_random_input(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            super::fuzz_scenario(&b);
        }

        #[test]
        fn fuzz_scenario_on_json_like_input(s in r#"[\[\]{}":,0-9a-z ]{0,120}"#) {
            super::fuzz_scenario(s.as_bytes());
            let wrapped = format!(r#"{{"topology": [{{"publicKey": "A", "quorumSet": {s}}}]}}"#);
            super::fuzz_scenario(wrapped.as_bytes());
        }
    }
}
