//! Runs the `EnclaveCall` fuzz entry point on random input (the fuzz target runs it with
//! coverage guidance): decoding and arbitrary call orders never panic, replies always decode.

use mcnode_enclave::call::{EnclaveCall, encode_frame};
use mcnode_enclave::fuzzing::fuzz_enclave_call;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_bytes_and_call_orders(data in proptest::collection::vec(any::<u8>(), 0..96)) {
        fuzz_enclave_call(&data);
    }

    #[test]
    fn mutated_valid_calls(tag in 0u8..15, flip in 0usize..64, byte in any::<u8>()) {
        let mut frame = encode_frame(&EnclaveCall::MinimumFee { token: mcnode_tx::TokenId(7) });
        frame[2] = tag;
        if let Some(b) = frame.get_mut(flip) {
            *b = byte;
        }
        fuzz_enclave_call(&frame);
    }
}

#[test]
fn every_call_order_of_two_runs() {
    for a in 0u8..15 {
        for b in 0u8..15 {
            fuzz_enclave_call(&[a, b, a]);
        }
    }
}
