#![no_main]
//! Evidence decoding never panics, re-encodes exactly, round-trips through JSON and verifies
//! without panicking.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mcnode_attest::fuzzing::fuzz_evidence(data);
});
