//! The wallet's state-file decoder and its payload decoder on arbitrary bytes.
#![no_main]
use mcnode_types::Decode as _;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mcnode_client::store::decode_file(data);
    let _ = mcnode_client::WalletState::from_canonical_bytes(data);
});
