//! Block (network) and stored-block (disk) decoders on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mcnode_ledger::fuzzing::fuzz_block_decode(data));
