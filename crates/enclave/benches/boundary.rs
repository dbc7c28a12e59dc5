//! Cost of the enclave boundary on the well-formedness check of a 1-input/2-output
//! transaction (ring of 11, membership proofs), three ways in the same run:
//! - `direct`: the trusted validation function called directly (no boundary at all);
//! - `in_process`: `TxIsWellFormed` through `InProcessEnclave` (encode the call, decrypt the
//!   cached ciphertext, validate, re-encrypt, encode and decode the reply);
//! - `process`: the same call through a `mcnode-enclave` child process over its pipe.
//!
//! Target (issue 7): the boundary adds under 10% to the cost of validation.
//! `cargo bench -p mcnode-enclave --bench boundary`

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::OnceLock;

use divan::{Bencher, black_box};
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_enclave::host_types::{FeeEntry, HighestProof, LocallyEncryptedTx, ProposedTx};
use mcnode_enclave::measurement::release_program;
use mcnode_enclave::trusted::txs::well_formed;
use mcnode_enclave::{Enclave, InProcessEnclave, InitParams, ProcessEnclave, TrustedEnclave, host};
use mcnode_ledger::testkit::make_block;
use mcnode_ledger::{BlockContents, Ledger, MemoryLedger};
use mcnode_tx::builder::TransactionBuilder;
use mcnode_tx::testkit::{UniformDecoys, fund, random_outputs};
use mcnode_tx::validation::{FeeConfig, ValidationContext};
use mcnode_tx::{AccountKey, TokenId, TxOut};
use mcnode_types::{Encode, Hash32};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: u64 = 1_800_000_000;

fn main() {
    divan::main();
}

struct Fixture {
    proposal: ProposedTx,
    size: usize,
    highest: HighestProof,
    params: InitParams,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let sender = AccountKey::random(&mut rng);
        let funds = fund(&sender, &[1_000_000], TokenId(0), &mut rng);
        let mut valid: Vec<TxOut> = random_outputs(1000, TokenId(0), &mut rng);
        valid.extend(funds.iter().map(|s| s.tx_out));
        let mut ledger = MemoryLedger::new();
        let origin =
            make_block(&ledger, BlockContents::new(vec![], valid.clone()), &[], 0).unwrap();
        ledger.append_block(&origin).unwrap();
        let mut b = TransactionBuilder::new(&sender, TokenId(0), 400, 100);
        b.add_input(funds[0].clone());
        b.add_output(1234, &AccountKey::random(&mut rng).default_address(), None);
        let tx = b.build(&mut UniformDecoys::new(&valid, 3), &mut rng).unwrap();
        let ring_proofs = host::ring_proofs(&ledger, &tx).unwrap();
        let proposal = ProposedTx { tx, ring_proofs };
        let size = proposal.to_canonical_bytes().len();
        let highest_index = proposal.ring_proofs.iter().map(|p| p.index).max().unwrap();
        let highest = HighestProof {
            output: ledger.output(highest_index).unwrap().unwrap(),
            proof: ledger.membership_proof(highest_index).unwrap(),
        };
        let params = InitParams {
            chain_id: "bench".to_owned(),
            config_digest: Hash32([3; 32]),
            fees: vec![FeeEntry { token: TokenId(0), minimum_fee: 400 }],
            fee_recipient: sender.default_address(),
            sealed_signing_key: None,
            now: NOW,
            evidence_validity_secs: 3600,
        };
        Fixture { proposal, size, highest, params }
    })
}

/// Puts the fixture's transaction into `e`'s cache through a client session.
fn cached(e: &mut impl Enclave, root: [u8; 32]) -> LocallyEncryptedTx {
    use mcnode_attest::{Policy, Verifier};
    use mcnode_enclave::channel::{ChannelConfig, ClientHandshake};
    let f = fixture();
    e.init(f.params.clone()).unwrap();
    let cfg = ChannelConfig::new("bench", Hash32([3; 32]));
    let (hs, msg1) = ClientHandshake::start(&cfg, [9; 32]).unwrap();
    let (_, msg2) = e.client_accept(msg1).unwrap();
    let verifier = Verifier::new(Policy::simulated(
        root,
        mcnode_enclave::measurement::default_trusted_measurements(),
    ));
    let (mut s, _) = hs.finish(&msg2, &verifier, NOW).unwrap();
    let ctx = e.client_tx_propose(s.seal(&f.proposal.to_canonical_bytes()).unwrap()).unwrap();
    ctx.encrypted
}

#[divan::bench(sample_count = 60, sample_size = 3)]
fn direct(bencher: Bencher) {
    let f = fixture();
    let ctx = ValidationContext { fees: FeeConfig::new([(TokenId(0), 400)]), height: 1 };
    bencher.bench(|| well_formed(black_box(&f.proposal), f.size, 1, &f.highest, &ctx).unwrap());
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
    let tx = cached(&mut e, root.public());
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
    let tx = cached(&mut e, SimRootKey::devnet().public());
    bencher.bench_local(|| e.tx_is_well_formed(tx.clone(), 1, f.highest.clone()).unwrap());
}
