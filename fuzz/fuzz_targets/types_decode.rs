#![no_main]
//! Canonical decoding of arbitrary bytes never panics and re-encodes exactly.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mcnode_types::fuzzing::fuzz_decode(data);
});
