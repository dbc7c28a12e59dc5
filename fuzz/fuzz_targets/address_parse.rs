//! Public address text parser on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mcnode_tx::fuzzing::fuzz_address(data));
