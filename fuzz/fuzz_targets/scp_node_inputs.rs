#![no_main]
//! Arbitrary message sequences to an SCP node: no panic, no contradictory output, rejected
//! statements change nothing.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mcnode_scp::fuzzing::fuzz_node_inputs(data);
});
