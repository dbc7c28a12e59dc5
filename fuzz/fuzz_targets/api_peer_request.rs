//! mcnode-api: protobuf decoding and domain conversion of every peer request type on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mcnode_api::fuzzing::fuzz_peer_request(data));
