//! Cost of the enclave boundary on the well-formedness check of a 1-input/2-output
//! transaction (ring of 11, membership proofs), three ways in the same run:
//! - `direct`: the trusted validation function called directly (no boundary at all);
//! - `in_process`: `TxsAreWellFormed` through `InProcessEnclave` (encode the call, decrypt the
//!   cached ciphertext, validate, re-encrypt, encode and decode the reply);
//! - `process`: the same call through a `mcnode-enclave` child process over its pipe.
//!
//! Wall-clock figures on a shared machine are noisy; `mcnode bench enclave` measures the same
//! three interleaved and in CPU time (host + enclave process), which is what BENCHMARKS.md
//! records. `cargo bench -p mcnode-enclave --bench boundary`

#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

use divan::{Bencher, black_box};
use mcnode_attest::sim::SimRootKey;
use mcnode_enclave::host_types::{HighestProof, LocallyEncryptedTx, ProposedTx};
use mcnode_enclave::trusted::txs::well_formed;
use mcnode_enclave::{Enclave, InProcessEnclave, ProcessEnclave};
use mcnode_ledger::Ledger;
use mcnode_tx::validation::{FeeConfig, ValidationContext};

// The integration tests' fixtures (a seeded ledger, client, enclave): no test kit in the
// library's API.
#[path = "../tests/common/mod.rs"]
mod common;

use common::{World, client_session, encode, fees, world};

fn main() {
    divan::main();
}

struct Fixture {
    world: World,
    proposal: ProposedTx,
    size: usize,
    highest: HighestProof,
    context: ValidationContext,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut world = world(0, 1000, 1);
        let proposal = world.proposal(0);
        let size = encode(&proposal).len();
        let index = proposal.ring_proofs.iter().map(|p| p.index).max().unwrap();
        let output = world.ledger.output(index).unwrap().unwrap();
        let highest = HighestProof { output, proof: world.ledger.membership_proof(index).unwrap() };
        let fees = FeeConfig::new(fees().iter().map(|f| (f.token, f.minimum_fee)));
        let context = ValidationContext { fees, height: 1 };
        Fixture { world, proposal, size, highest, context }
    })
}

/// Initialises `e`, proposes the fixture's transaction over a client session verified against
/// `root` and returns its cached ciphertext.
fn cache_in(f: &Fixture, e: &mut impl Enclave, root: [u8; 32]) -> LocallyEncryptedTx {
    e.init(f.world.init_params(None)).unwrap();
    let mut s = client_session(e, &f.world.channel_config(), root, 9);
    let msgs = mcnode_enclave::chunks::seal_chunks(&mut s, &encode(&f.proposal)).unwrap();
    e.client_tx_propose(msgs).unwrap().encrypted
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
    let mut e = InProcessEnclave::new(common::core(), [4; 32]);
    let tx = cache_in(f, &mut e, common::root().public());
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
    let tx = cache_in(f, &mut e, SimRootKey::devnet().public());
    bencher.bench_local(|| e.tx_is_well_formed(tx.clone(), 1, f.highest.clone()).unwrap());
}
