#![no_main]
//! Statements over the simulator's value type decode exactly like the node's (`TxHashSet`).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcnode_sim::fuzzing::fuzz_statement_decode(data));
