#![no_main]
//! Scenario and stellarbeat topology parsing (`mcnode sim` input files).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcnode_sim::fuzzing::fuzz_scenario(data));
