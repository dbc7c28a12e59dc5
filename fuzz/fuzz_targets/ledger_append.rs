//! Arbitrary blocks offered to `append_block`: rejected or appended, never a panic, never an
//! unsound ledger.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mcnode_ledger::fuzzing::fuzz_append(data));
