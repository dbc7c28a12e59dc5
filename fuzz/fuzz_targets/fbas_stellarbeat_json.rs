#![no_main]
//! The stellarbeat JSON decoder never panics; what it accepts round-trips and analyses.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mcnode_fbas::fuzzing::fuzz_stellarbeat_json(data);
});
