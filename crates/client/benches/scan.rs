//! Wallet scanning speed: outputs scanned per second on one core, next to the cost of one
//! view-key check, measured in the same run.
//!
//! Run: `cargo bench -p mcnode-client --bench scan --profile dev` (dependencies, where the
//! curve arithmetic is, are built at opt-level 2 in the dev profile; a release build gives the
//! same order). Benches:
//! - `view_key_check`: one [`Scanner::check`] on an output that is not ours (the common case:
//!   one variable-base and one fixed-base scalar multiplication and a table lookup);
//! - `scan_block_of_1000`: [`Scanner::scan`] over 1,000 outputs of which 10 are ours (amount
//!   and key image read for those); divan's items/s is outputs scanned per second;
//! - `scan_owned`: the full read of one output that is ours (check, unmask, key image);
//! - `view_key_check_1000`: the check alone over the same 1,000 outputs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use divan::Bencher;
use divan::counter::ItemsCount;
use mcnode_client::scan::{DEFAULT_SUBADDRESSES, Scanner};
use mcnode_crypto::RistrettoPrivate;
use mcnode_tx::{AccountKey, Amount, TokenId, TxOut};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn main() {
    divan::main();
}

fn out(to: &mcnode_tx::PublicAddress, r: &mut ChaCha20Rng) -> TxOut {
    TxOut::new(Amount::new(5, TokenId(0)), to, &RistrettoPrivate::random(r), None).unwrap().0
}

fn fixture() -> (AccountKey, Vec<TxOut>) {
    let mut r = ChaCha20Rng::seed_from_u64(1);
    let me = AccountKey::random(&mut r);
    let other = AccountKey::random(&mut r);
    let outs = (0..1000)
        .map(|i| {
            if i % 100 == 0 {
                out(&me.subaddress(i / 100), &mut r)
            } else {
                out(&other.default_address(), &mut r)
            }
        })
        .collect();
    (me, outs)
}

#[divan::bench]
fn view_key_check(b: Bencher) {
    let (me, outs) = fixture();
    let scanner = Scanner::new(&me, DEFAULT_SUBADDRESSES);
    let foreign = outs[1];
    b.bench_local(|| scanner.check(divan::black_box(&foreign)));
}

#[divan::bench(sample_count = 20)]
fn scan_block_of_1000(b: Bencher) {
    let (me, outs) = fixture();
    let scanner = Scanner::new(&me, DEFAULT_SUBADDRESSES);
    b.counter(ItemsCount::new(outs.len())).bench_local(|| {
        let found = outs.iter().filter_map(|o| scanner.scan(o)).count();
        assert_eq!(found, 10);
        found
    });
}

#[divan::bench]
fn scan_owned(b: Bencher) {
    let (me, outs) = fixture();
    let scanner = Scanner::new(&me, DEFAULT_SUBADDRESSES);
    let mine = outs[0];
    b.bench_local(|| scanner.scan(divan::black_box(&mine)));
}

#[divan::bench(sample_count = 20)]
fn view_key_check_1000(b: Bencher) {
    let (me, outs) = fixture();
    let scanner = Scanner::new(&me, DEFAULT_SUBADDRESSES);
    b.counter(ItemsCount::new(outs.len()))
        .bench_local(|| outs.iter().filter(|o| scanner.check(o).is_some()).count());
}
