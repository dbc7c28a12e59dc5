//! TxOut and membership-proof decoders on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mcnode_tx::fuzzing::fuzz_tx_out(data));
