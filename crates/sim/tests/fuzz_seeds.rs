//! The scenario fuzz target's seed corpus (`fuzz/seeds/sim_scenario`, used by
//! `scripts/fuzz.sh`) holds valid scenarios, so fuzzing starts past the parser's first errors
//! and mutates inputs that reach every field.

#![allow(clippy::unwrap_used)] // a failure here is a test failure

use std::path::{Path, PathBuf};

#[test]
fn every_seed_is_a_valid_scenario() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/sim_scenario");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = mcnode_sim::parse_scenario(&text, &path, Path::new("/nonexistent"));
        assert!(parsed.is_ok(), "{}: {:?}", path.display(), parsed.err());
        mcnode_sim::fuzzing::fuzz_scenario(text.as_bytes());
        n += 1;
    }
    assert!(n >= 4, "the seed corpus is missing");
}
