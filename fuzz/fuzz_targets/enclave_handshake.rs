#![no_main]
//! Every handshake step that reads a remote message survives arbitrary bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mcnode_enclave::fuzzing::fuzz_handshake(data);
});
