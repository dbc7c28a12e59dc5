//! Decoy drawing: uniform indices, the real input's ring position uniform, no output in two
//! rings of one transaction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;

use common::{out, rng};
use mcnode_client::ClientError;
use mcnode_client::decoys::{DecoyPool, draw_indices};
use mcnode_tx::builder::{RingSource, assemble_ring};
use mcnode_tx::{AccountKey, TokenId};

#[test]
fn indices_are_distinct_and_never_the_real_inputs() {
    let mut r = rng(1);
    let exclude: HashSet<u64> = [3, 4, 5].into();
    for _ in 0..200 {
        let v = draw_indices(&mut r, 30, 20, &exclude).unwrap();
        let set: HashSet<u64> = v.iter().copied().collect();
        assert_eq!(set.len(), 20);
        assert!(set.iter().all(|i| *i < 30 && !exclude.contains(i)));
    }
    let e = draw_indices(&mut r, 12, 10, &exclude).unwrap_err();
    assert!(matches!(e, ClientError::LedgerTooSmall { have: 12, needed: 13 }), "{e:?}");
}

#[test]
fn the_real_input_position_is_uniform() {
    // Over the outputs a wallet may spend (target keys are pseudo-random), the real input's
    // rank among its ring's sorted keys is uniform: it and the 10 decoys are exchangeable.
    let mut r = rng(2);
    let a = AccountKey::random(&mut r);
    let ledger: Vec<_> =
        (0..300).map(|i| out(&a.default_address(), i, TokenId(0), &mut r)).collect();
    let trials = 11_000;
    let mut counts = [0u32; 11];
    for t in 0..trials {
        // The wallet's real inputs are ledger outputs like any other: any of them.
        let real_index = (t * 7919) % ledger.len() as u64;
        let real = ledger[real_index as usize];
        let idx = draw_indices(&mut r, ledger.len() as u64, 10, &[real_index].into()).unwrap();
        let mut pool = DecoyPool::new(idx.iter().map(|i| ledger[*i as usize]).collect());
        let decoys = pool.decoys(&real, 10);
        let (_, pos) = assemble_ring(real, decoys).unwrap();
        counts[pos] += 1;
    }
    // Expected 1000 per position; 5 standard deviations (~31.6 each) either side.
    for (pos, c) in counts.iter().enumerate() {
        assert!((840..=1160).contains(c), "position {pos}: {c} of {trials} ({counts:?})");
    }
}

#[test]
fn the_pool_never_gives_an_excluded_or_repeated_output() {
    let mut r = rng(3);
    let a = AccountKey::random(&mut r);
    let outs: Vec<_> = (0..25).map(|i| out(&a.default_address(), i, TokenId(0), &mut r)).collect();
    let mut pool = DecoyPool::new(outs[1..].to_vec());
    let exclude: HashSet<_> = outs[1..6].iter().map(|o| o.target_key).collect();
    let got = pool.decoys_excluding(&outs[0], 10, &exclude);
    assert_eq!(got.len(), 10);
    assert!(
        got.iter().all(|o| !exclude.contains(&o.target_key) && o.target_key != outs[0].target_key)
    );
    // What was handed out is gone: a second ring gets other outputs.
    let again = pool.decoys_excluding(&outs[0], 10, &HashSet::new());
    assert!(again.iter().all(|o| !got.contains(o)));
}
