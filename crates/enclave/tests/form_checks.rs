//! The enclave checks what it signs (issue 10 item 2). Each test is an attack by the host (the
//! operator of this enclave) that, before the rule, ended with the enclave signing the block:
//! ring members that do not exist in the chain the enclave extends (forged root or proofs), a
//! parent that does not link to the tracked tip, one key image in two transactions of a block.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use mcnode_enclave::chunks::seal_chunks;
use mcnode_enclave::host_types::{Excluded, HighestProof, PrefixProof, WellFormedEncryptedTx};
use mcnode_enclave::refusal::{ChainFailure, TxRule};
use mcnode_enclave::{BoundaryError, Enclave, EnclaveError, InProcessEnclave, host};
use mcnode_ledger::block::BLOCK_VERSION;
use mcnode_ledger::testkit::make_block;
use mcnode_ledger::{BlockContents, Ledger, MemoryLedger};
use mcnode_tx::TokenId;
use mcnode_tx::builder::TransactionBuilder;
use mcnode_tx::testkit::{UniformDecoys, fund};
use mcnode_types::Hash32;

fn refused(r: Result<impl std::fmt::Debug, BoundaryError>) -> EnclaveError {
    match r {
        Err(BoundaryError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The attacker's ledger: the real ledger's outputs, with `fake` at index `at` (replacing the
/// real output there) or appended in a second block (`at == None`). Returns the ledger.
fn forged_ledger(w: &World, fake: mcnode_tx::TxOut, at: Option<usize>) -> MemoryLedger {
    let n = w.ledger.num_outputs().unwrap();
    let mut outs = w.ledger.outputs(0, n).unwrap();
    if let Some(i) = at {
        outs[i] = fake;
    }
    let mut l = MemoryLedger::new();
    let origin = make_block(&l, BlockContents::new(vec![], outs), &[], NOW).unwrap();
    l.append_block(&origin).unwrap();
    if at.is_none() {
        let b = make_block(&l, BlockContents::new(vec![], vec![fake]), &[], NOW).unwrap();
        l.append_block(&b).unwrap();
    }
    l
}

/// The host's own transaction spending `fake` (an output it invented), with ring proofs and
/// the highest-member proof from `forged`: well formed as far as the enclave can tell.
fn forged_tx(
    w: &mut World,
    e: &mut impl Enclave,
    forged: &MemoryLedger,
    fake: mcnode_tx::builder::SpendableOutput,
) -> (WellFormedEncryptedTx, u64) {
    let mut b = TransactionBuilder::new(&w.sender, TokenId(0), FEE, 100);
    b.add_input(fake);
    b.add_output(PAYMENT, &w.recipient.default_address(), None);
    let decoys: Vec<_> = w.valid.iter().copied().filter(|o| forged_has(forged, o)).collect();
    let tx = b.build(&mut UniformDecoys::new(&decoys, 3), &mut w.rng).unwrap();
    let ring_proofs = host::ring_proofs(forged, &tx).unwrap();
    let p = mcnode_enclave::host_types::ProposedTx { tx, ring_proofs };
    let mut s = client_session(e, &w.channel_config(), root().public(), 30);
    let ctx = e.client_tx_propose(seal_chunks(&mut s, &encode(&p)).unwrap()).unwrap();
    let highest = host::highest_proof(forged, &ctx).unwrap();
    let (wctx, wtx) = e.tx_is_well_formed(ctx.encrypted, 1, highest).unwrap();
    (wtx, wctx.leaf_count)
}

fn forged_has(l: &MemoryLedger, o: &mcnode_tx::TxOut) -> bool {
    l.output_index(&o.public_key).unwrap().is_some()
}

#[test]
fn ring_members_outside_the_tracked_chain_are_never_signed() {
    let mut w = world(0, 30, 1);
    let (mut e, _) = enclave(&w, 9);
    let real_tip = w.ledger.last_block().unwrap().unwrap();
    let n = w.ledger.num_outputs().unwrap();
    let fake = fund(&w.sender, &[INPUT_VALUE], TokenId(0), &mut w.rng).remove(0);

    // (1) The invented output appended in a block only the host has: the ring proofs are
    // against a ledger one output larger than the tracked tip's.
    let forged = forged_ledger(&w, fake.tx_out, None);
    let (wtx, size) = forged_tx(&mut w, &mut e, &forged, fake.clone());
    assert_eq!(size, n + 1);
    // The host's proofs from its forged tree do not verify against the tracked root...
    let mut inputs = form_inputs(&w, vec![wtx.clone()]);
    inputs.ring_roots = vec![PrefixProof {
        last_leaf: fake.tx_out.leaf_hash(),
        proof: forged.membership_proof_at(n, n + 1).unwrap(),
    }];
    assert_eq!(refused(e.form_block(inputs)), EnclaveError::BadFrontier);
    // ...its forged block as the parent is not the tracked tip...
    let forged_parent = form_inputs_on(&forged, vec![wtx.clone()], size);
    assert_eq!(
        refused(e.form_block(forged_parent)),
        EnclaveError::Chain(ChainFailure::ParentNotTip)
    );
    // ...nor can it be shown as the next block (no enclave signed it)...
    let forged_block = forged.block(1).unwrap().unwrap();
    let frontier = host::frontier(&w.ledger, &real_tip).unwrap();
    assert_eq!(
        refused(e.show_block(forged_block, frontier)),
        EnclaveError::Chain(ChainFailure::Unsigned)
    );
    // ...and without a proof for that ledger size the transaction is left out.
    let formed = e.form_block(form_inputs(&w, vec![wtx])).unwrap();
    assert_eq!(formed.excluded.len(), 1);
    assert_eq!(formed.excluded[0].reason, TxRule::RingRootUnproven);
    assert!(formed.block.contents.key_images.is_empty());
    w.ledger.append_block(&formed.block).unwrap();

    // (2) The invented output in place of a real one, so the forged tree has the tracked
    // size: the honest prefix proof fixes the tracked root, and the ring proof fails there.
    let at = (n - 1) as usize;
    let fake2 = fund(&w.sender, &[INPUT_VALUE], TokenId(0), &mut w.rng).remove(0);
    let forged = forged_ledger(&w, fake2.tx_out, Some(at));
    // Same size as the real ledger at the time the transaction is built (one block later,
    // the real ledger has grown by zero outputs: the block above was empty).
    assert_eq!(forged.num_outputs().unwrap(), w.ledger.num_outputs().unwrap());
    let (wtx, size) = forged_tx(&mut w, &mut e, &forged, fake2);
    assert_eq!(size, n);
    let formed = e.form_block(form_inputs(&w, vec![wtx])).unwrap();
    assert_eq!(formed.excluded.len(), 1);
    assert_eq!(formed.excluded[0].reason, TxRule::MembershipProof);
    assert!(formed.block.contents.outputs.is_empty(), "nothing of the forged transaction signed");
    w.ledger.append_block(&formed.block).unwrap();
    w.ledger.verify().unwrap();
}

/// `FormBlock` inputs on `ledger`'s tip (the host's forged ledger).
fn form_inputs_on(
    ledger: &MemoryLedger,
    txs: Vec<WellFormedEncryptedTx>,
    size: u64,
) -> mcnode_enclave::FormBlockInputs {
    host::form_block_inputs(ledger, txs, [size], NOW).unwrap()
}

#[test]
fn a_parent_that_does_not_link_to_the_tracked_tip_is_refused() {
    let mut w = world(0, 30, 1);
    let (mut e, _) = enclave(&w, 9);
    let honest = form_inputs(&w, vec![]);
    // A header with another root, its id recomputed so that it is self-consistent.
    let mut other = honest.clone();
    other.parent.root_element = Hash32([7; 32]);
    other.parent.id = other.parent.compute_id();
    assert_eq!(refused(e.form_block(other)), EnclaveError::Chain(ChainFailure::ParentNotTip));
    let mut count = honest.clone();
    count.parent.cumulative_txo_count += 1;
    count.parent.id = count.parent.compute_id();
    assert_eq!(refused(e.form_block(count)), EnclaveError::Chain(ChainFailure::ParentNotTip));
    // The honest parent is accepted once; after that only the block formed on it is the tip
    // (the enclave never signs two blocks at one height).
    let first = e.form_block(honest.clone()).unwrap();
    assert_eq!(refused(e.form_block(honest)), EnclaveError::Chain(ChainFailure::ParentNotTip));
    w.ledger.append_block(&first.block).unwrap();
    let _ = e.form_block(form_inputs(&w, vec![])).unwrap();

    // An enclave that was given no tip at Init forms nothing until it is shown the origin.
    let mut fresh = InProcessEnclave::new(core(), [4; 32]);
    let mut p = w.init_params(None);
    p.tip = None;
    fresh.init(p).unwrap();
    assert_eq!(
        refused(fresh.form_block(form_inputs(&w, vec![]))),
        EnclaveError::Chain(ChainFailure::NoTip)
    );
    // A tip whose id is not the hash of its fields is refused at Init.
    let mut bad = InProcessEnclave::new(core(), [5; 32]);
    let mut p = w.init_params(None);
    if let Some(t) = p.tip.as_mut() {
        t.index += 1;
    }
    assert_eq!(refused(bad.init(p)), EnclaveError::Chain(ChainFailure::HeaderId));
}

#[test]
fn catch_up_accepts_only_linked_blocks_signed_by_a_known_enclave() {
    let mut w = world(0, 30, 1);
    // `a` forms block 1; `b` (its attested peer) is shown it and extends it; `c` never met `a`.
    let origin = w.ledger.block(0).unwrap().unwrap();
    let (mut a, _) = enclave(&w, 9);
    let (mut b, _) = enclave(&w, 10);
    let mut c = InProcessEnclave::new(core(), [11; 32]);
    c.init(w.init_params(None)).unwrap();
    let (ida, idb) = (node(9), node(10));
    let m1 = a.peer_init(idb).unwrap();
    let m2 = b.peer_accept(ida, m1).unwrap();
    let (_, m3, _) = a.peer_connect(idb, m2, NOW).unwrap();
    b.peer_finish(ida, m3, NOW).unwrap();

    let mut s = client_session(&mut a, &w.channel_config(), root().public(), 20);
    let p = w.proposal(0);
    let ctx = a.client_tx_propose(seal_chunks(&mut s, &encode(&p)).unwrap()).unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (wctx, wtx) = a.tx_is_well_formed(ctx.encrypted, 1, highest).unwrap();
    let tip = w.ledger.last_block().unwrap().unwrap();
    let frontier = host::frontier(&w.ledger, &tip).unwrap();
    let block1 = a
        .form_block(host::form_block_inputs(&w.ledger, vec![wtx], [wctx.leaf_count], NOW).unwrap())
        .unwrap()
        .block;

    // Tampering with what is shown breaks the link checks, each with its own reason.
    let mut unsigned = block1.clone();
    unsigned.signatures.clear();
    assert_eq!(
        refused(b.show_block(unsigned, frontier.clone())),
        EnclaveError::Chain(ChainFailure::Unsigned)
    );
    let mut fewer = block1.clone();
    fewer.contents.outputs.pop();
    assert_eq!(
        refused(b.show_block(fewer, frontier.clone())),
        EnclaveError::Chain(ChainFailure::ContentsHash)
    );
    assert_eq!(
        refused(b.show_block(origin.clone(), frontier.clone())),
        EnclaveError::Chain(ChainFailure::ParentLink)
    );
    // Signed by `a`, which `c` never attested.
    assert_eq!(
        refused(c.show_block(block1.clone(), frontier.clone())),
        EnclaveError::Chain(ChainFailure::Unsigned)
    );
    // The genuine block, signed by an attested peer: accepted, and `b` extends it.
    assert_eq!(b.show_block(block1.clone(), frontier).unwrap(), block1.block);
    w.ledger.append_block(&block1).unwrap();
    let block2 = b.form_block(form_inputs(&w, vec![])).unwrap().block;
    assert_eq!(block2.block.parent_id, block1.block.id);
    w.ledger.append_block(&block2).unwrap();

    // An enclave with no tip learns the origin block (unsigned: trust on first use), checked.
    let mut d = InProcessEnclave::new(core(), [12; 32]);
    let mut p = w.init_params(None);
    p.tip = None;
    d.init(p).unwrap();
    let mut wrong_root = origin.clone();
    wrong_root.block.root_element = Hash32([1; 32]);
    wrong_root.block.id = wrong_root.block.compute_id();
    assert_eq!(refused(d.show_block(wrong_root, None)), EnclaveError::Chain(ChainFailure::Root));
    let mut version = origin.clone();
    version.block.version = BLOCK_VERSION + 1;
    version.block.id = version.block.compute_id();
    assert_eq!(refused(d.show_block(version, None)), EnclaveError::Chain(ChainFailure::Version));
    assert_eq!(d.show_block(origin.clone(), None).unwrap(), origin.block);
}

#[test]
fn one_key_image_in_two_transactions_of_a_block_is_signed_once() {
    let mut w = world(0, 30, 1);
    let (mut e, _) = enclave(&w, 9);
    let mut s = client_session(&mut e, &w.channel_config(), root().public(), 20);
    // Two different transactions spending the same output: one key image, two hashes.
    let (p1, p2) = (w.proposal(0), w.proposal(0));
    assert_eq!(p1.tx.key_images(), p2.tx.key_images());
    assert_ne!(p1.tx.hash(), p2.tx.hash());
    let mut wtxs = Vec::new();
    for p in [&p1, &p2] {
        let ctx = e.client_tx_propose(seal_chunks(&mut s, &encode(p)).unwrap()).unwrap();
        let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
        wtxs.push(e.tx_is_well_formed(ctx.encrypted, 1, highest).unwrap().1);
    }
    let formed = e.form_block(form_inputs(&w, wtxs)).unwrap();
    // Transactions are taken in hash order, so every enclave drops the same one.
    let (keep, drop) = if p1.tx.hash() < p2.tx.hash() { (&p1, &p2) } else { (&p2, &p1) };
    assert_eq!(
        formed.excluded,
        vec![Excluded { tx_hash: drop.tx.hash(), reason: TxRule::KeyImageInBatch }]
    );
    assert_eq!(formed.block.contents.key_images, keep.tx.key_images());
    for o in &keep.tx.prefix.outputs {
        assert!(formed.block.contents.outputs.contains(o));
    }
    for o in &drop.tx.prefix.outputs {
        assert!(!formed.block.contents.outputs.contains(o));
    }
    w.ledger.append_block(&formed.block).unwrap();
    w.ledger.verify().unwrap();
}

#[test]
fn enclaves_forming_the_same_block_agree_on_its_id() {
    let mut w = world(0, 30, 1);
    let (mut a, _) = enclave(&w, 9);
    let (mut b, _) = enclave(&w, 10);
    let p = w.proposal(0);
    let mut blocks = Vec::new();
    for (e, seed) in [(&mut a, 20u8), (&mut b, 21)] {
        let mut s = client_session(e, &w.channel_config(), root().public(), seed);
        let ctx = e.client_tx_propose(seal_chunks(&mut s, &encode(&p)).unwrap()).unwrap();
        let highest: HighestProof = host::highest_proof(&w.ledger, &ctx).unwrap();
        let wtx = e.tx_is_well_formed(ctx.encrypted, 1, highest).unwrap().1;
        blocks.push(e.form_block(form_inputs(&w, vec![wtx])).unwrap().block);
    }
    assert_eq!(blocks[0].block.id, blocks[1].block.id, "fee outputs differ between enclaves");
    assert_ne!(blocks[0].signatures[0].signer, blocks[1].signatures[0].signer);
}
