//! Generator of synthetic "almost symmetric" networks for tests and benchmarks.
//!
//! `orgs` organisations of three nodes (`org{i}v{k}`). Every node of organisation `i` has the
//! quorum set "t of {2-of-3 of organisation j}" over its own organisation and every other
//! organisation `j`, each other organisation kept with probability `1 - delete_prob` (decided
//! once per organisation `i`, so all its nodes agree). `t = floor(2k/3) + 1` for `k` listed
//! organisations, the usual "more than two thirds". With `delete_prob = 0` the network is
//! symmetric and enjoys quorum intersection; deletions make it asymmetric and may split it.
//! Randomness comes only from `seed` (SplitMix64), so a seed names a network.

use crate::fbas::{RawNode, RawQSet};

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Node definitions of an almost-symmetric network (see the module doc).
pub fn almost_symmetric(orgs: usize, delete_prob: f64, seed: u64) -> Vec<RawNode> {
    let mut rng = seed;
    let org_set = |j: usize| RawQSet {
        threshold: 2,
        validators: (0..3).map(|k| format!("org{j}v{k}")).collect(),
        inner: vec![],
    };
    let mut out = Vec::with_capacity(orgs * 3);
    for i in 0..orgs {
        let mut inner = Vec::new();
        for j in 0..orgs {
            // 53 random bits as a uniform fraction in [0, 1).
            let r = (splitmix(&mut rng) >> 11) as f64 / (1u64 << 53) as f64;
            if j == i || r >= delete_prob {
                inner.push(org_set(j));
            }
        }
        let threshold = (2 * inner.len() / 3 + 1) as u64;
        let qset = RawQSet { threshold, validators: vec![], inner };
        for k in 0..3 {
            out.push(RawNode { id: format!("org{i}v{k}"), name: None, qset: Some(qset.clone()) });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_without_deletions_and_seeded() {
        let a = almost_symmetric(4, 0.0, 1);
        assert_eq!(a.len(), 12);
        let q = a[0].qset.as_ref().unwrap();
        assert_eq!((q.threshold, q.inner.len()), (3, 4));
        assert_eq!(almost_symmetric(10, 0.2, 7), almost_symmetric(10, 0.2, 7));
        assert_ne!(almost_symmetric(10, 0.2, 7), almost_symmetric(10, 0.2, 8));
    }
}
