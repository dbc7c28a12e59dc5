#![no_main]
//! Channel transport messages: decoding never panics, and no input opens on an established
//! session (forgeries are refused).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mcnode_enclave::fuzzing::fuzz_channel_message(data);
});
