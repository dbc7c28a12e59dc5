//! The fuzz entry points (`mcnode_scp::fuzzing`), run on random input in every `cargo test`;
//! `fuzz/fuzz_targets/scp_*.rs` run the same functions under libFuzzer.

use mcnode_scp::Phase;
use mcnode_scp::fuzzing::{fuzz_node_inputs, fuzz_statement_decode};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn statement_decoding_never_panics(b in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzz_statement_decode(&b);
    }

    #[test]
    fn arbitrary_input_sequences_keep_invariants(b in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = fuzz_node_inputs(&b);
    }

    #[test]
    fn ballot_heavy_sequences_keep_invariants(
        ops in prop::collection::vec((0x20u8..0xff, any::<[u8; 5]>()), 0..120)
    ) {
        // Mostly statements (op >= 0x20) with small counters, so ballots actually progress.
        let mut b = vec![0u8];
        for (op, body) in ops {
            b.push(op);
            b.extend_from_slice(&body);
        }
        let _ = fuzz_node_inputs(&b);
    }
}

/// The random sequences above must actually reach deep states, or they test little.
#[test]
fn random_inputs_reach_every_phase() {
    let mut rng = 0x1234_5678_9abc_def1u64;
    let mut reached = std::collections::BTreeSet::new();
    let mut externalized = 0;
    for _ in 0..400 {
        let mut b = vec![0u8];
        for _ in 0..300 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            b.push((rng >> 32) as u8);
        }
        let s = fuzz_node_inputs(&b);
        if let Some(p) = s.max_phase {
            reached.insert(p);
        }
        externalized += s.externalized;
    }
    assert!(reached.contains(&Phase::Confirm), "reached {reached:?}");
    assert!(reached.contains(&Phase::Externalize), "reached {reached:?}");
    assert!(externalized > 0);
}
