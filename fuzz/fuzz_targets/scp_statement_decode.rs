#![no_main]
//! SCP statement and quorum-set decoding never panics and is canonical.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mcnode_scp::fuzzing::fuzz_statement_decode(data);
});
