//! One transaction, one hash, through the enclave: two variants of one prefix (a client owning
//! two outputs of one ring signs it once as the owner of each) reach two nodes. Each enclave
//! names its variant by a different hash, so SCP cannot agree on one value standing for both,
//! and the block each forms holds its own variant's key image and not the other's.

#![allow(clippy::unwrap_used)]

mod common;

use common::{FEE, NOW, PAYMENT, World, client_session, enclave, encode, root, world};
use mcnode_enclave::host_types::ProposedTx;
use mcnode_enclave::{Enclave, host};
use mcnode_ledger::{BlockData, Ledger};
use mcnode_tx::builder::{RingSource, TransactionBuilder};
use mcnode_tx::tx::Tx;
use mcnode_tx::{TokenId, TxOut};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Puts the client's other output and nine fixed decoys in the ring.
struct WithOther {
    other: TxOut,
    decoys: Vec<TxOut>,
}

impl RingSource for WithOther {
    fn decoys(&mut self, real: &TxOut, count: usize) -> Vec<TxOut> {
        let mut v = vec![self.other];
        v.extend(self.decoys.iter().filter(|d| *d != real).take(count - 1).copied());
        v
    }
}

/// The variant that spends `funds[real]`, with `funds[other]` as a decoy.
fn variant(w: &World, real: usize, other: usize) -> Tx {
    let height = w.ledger.num_blocks().unwrap();
    let decoys: Vec<TxOut> = w
        .valid
        .iter()
        .filter(|o| !w.funds.iter().any(|f| f.tx_out == **o))
        .take(9)
        .copied()
        .collect();
    let mut b = TransactionBuilder::new(&w.sender, TokenId(0), FEE, height + 100);
    b.add_input(w.funds[real].clone());
    b.add_output(PAYMENT, &w.recipient.default_address(), None);
    let mut source = WithOther { other: w.funds[other].tx_out, decoys };
    // The same RNG stream for both: the same outputs, blindings and range proof.
    b.build(&mut source, &mut ChaCha20Rng::seed_from_u64(3)).unwrap()
}

/// Sends `tx` to a fresh enclave as a client would and forms a block of it; returns the hash
/// the enclave named it by and the block.
fn through_enclave(w: &World, entropy: u8, tx: &Tx) -> (mcnode_types::Hash32, BlockData) {
    let (mut e, _) = enclave(w, entropy);
    let mut session = client_session(&mut e, &w.channel_config(), root().public(), entropy);
    let proposal =
        ProposedTx { tx: tx.clone(), ring_proofs: host::ring_proofs(&w.ledger, tx).unwrap() };
    let ctx = e.client_tx_propose(vec![session.seal(&encode(&proposal)).unwrap()]).unwrap();
    let height = w.ledger.num_blocks().unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (wctx, wtx) = e.tx_is_well_formed(ctx.encrypted, height, highest).unwrap();
    assert_eq!(wctx.tx_hash, ctx.tx_hash);
    let inputs = host::form_block_inputs(&w.ledger, vec![wtx], [wctx.leaf_count], NOW + 5);
    let formed = e.form_block(inputs.unwrap()).unwrap();
    (wctx.tx_hash, formed.block)
}

#[test]
fn two_variants_of_one_prefix_are_two_values_and_two_blocks() {
    let w = world(0, 30, 2);
    let a = variant(&w, 0, 1);
    let b = variant(&w, 1, 0);
    assert_eq!(a.prefix, b.prefix, "the attack: one prefix");
    assert_ne!(a.key_images(), b.key_images());

    let (hash_a, block_a) = through_enclave(&w, 31, &a);
    let (hash_b, block_b) = through_enclave(&w, 32, &b);
    // Each enclave names its variant by that variant's own hash: two SCP values, not one.
    assert_eq!((hash_a, hash_b), (a.hash(), b.hash()));
    assert_ne!(hash_a, hash_b);
    // Each block spends exactly its variant's key image; neither can pass for the other.
    assert_eq!(block_a.contents.key_images, a.key_images());
    assert_eq!(block_b.contents.key_images, b.key_images());
    assert!(!block_a.contents.key_images.iter().any(|k| b.key_images().contains(k)));
    assert_ne!(block_a.block.contents_hash, block_b.block.contents_hash);
    assert_ne!(block_a.block.id, block_b.block.id);
}
