#![no_main]
//! Enclave calls: request decoding is canonical, and any bytes or any order of calls gets a
//! typed reply from the enclave, never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mcnode_enclave::fuzzing::fuzz_enclave_call(data);
});
