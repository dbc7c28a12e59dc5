//! Cost of the enclave boundary on the well-formedness check of a 1-input/2-output
//! transaction (ring of 11, membership proofs), three ways in the same run:
//! - `direct`: the trusted validation function called directly (no boundary at all);
//! - `in_process`: `TxIsWellFormed` through `InProcessEnclave` (encode the call, decrypt the
//!   cached ciphertext, validate, re-encrypt, encode and decode the reply);
//! - `process`: the same call through a `mcnode-enclave` child process over its pipe.
//!
//! Wall-clock figures on a shared machine are noisy; `mcnode bench enclave` measures the same
//! three interleaved and in CPU time (host + enclave process), which is what BENCHMARKS.md
//! records. `cargo bench -p mcnode-enclave --bench boundary`

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::OnceLock;

use divan::{Bencher, black_box};
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_enclave::measurement::release_program;
use mcnode_enclave::testkit::BoundaryFixture;
use mcnode_enclave::trusted::txs::well_formed;
use mcnode_enclave::{Enclave, InProcessEnclave, ProcessEnclave, TrustedEnclave};

fn main() {
    divan::main();
}

fn fixture() -> &'static BoundaryFixture {
    static F: OnceLock<BoundaryFixture> = OnceLock::new();
    F.get_or_init(|| BoundaryFixture::new(1000).unwrap())
}

#[divan::bench(sample_count = 60, sample_size = 3)]
fn direct(bencher: Bencher) {
    let f = fixture();
    bencher
        .bench(|| well_formed(black_box(&f.proposal), f.size, 1, &f.highest, &f.context).unwrap());
}

#[divan::bench(sample_count = 60, sample_size = 3)]
fn in_process(bencher: Bencher) {
    let f = fixture();
    let root = SimRootKey::from_seed([1; 32]);
    let core = TrustedEnclave::new(
        SimPlatform::new(&root, [2; 32], 0, u64::MAX),
        root.public(),
        release_program(),
    );
    let mut e = InProcessEnclave::new(core, [4; 32]);
    let tx = f.cache_in(&mut e, root.public()).unwrap();
    bencher.bench_local(|| e.tx_is_well_formed(tx.clone(), 1, f.highest.clone()).unwrap());
}

#[divan::bench(sample_count = 60, sample_size = 3)]
fn process(bencher: Bencher) {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    std::fs::write(&seed, "11".repeat(32)).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_mcnode-enclave"));
    let mut e =
        ProcessEnclave::spawn(bin, &["--platform-seed-file", seed.to_str().unwrap()]).unwrap();
    let tx = f.cache_in(&mut e, SimRootKey::devnet().public()).unwrap();
    bencher.bench_local(|| e.tx_is_well_formed(tx.clone(), 1, f.highest.clone()).unwrap());
}
