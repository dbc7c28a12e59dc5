//! `TxsAreWellFormed` judges each transaction of a batch as it would judge it alone: the
//! verdicts come back in order, a bad signature, a bad range proof or a ciphertext that does
//! not open refuses only its own transaction, and two transactions spending one key image are
//! both well formed (the pool holds conflicts; a block takes one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{client_session, enclave, encode, root, world};
use mcnode_enclave::host_types::{
    LocallyEncryptedTx, ProposedTx, WellFormedQuery, WellFormedVerdict,
};
use mcnode_enclave::refusal::{EnclaveError, TxRule};
use mcnode_enclave::{BoundaryError, Enclave, host};
use mcnode_ledger::Ledger;

#[test]
fn each_verdict_in_a_batch_is_the_verdict_alone() {
    let mut w = world(0, 30, 3);
    let (mut e, _) = enclave(&w, 9);
    let mut session = client_session(&mut e, &w.channel_config(), root().public(), 20);
    let height = w.ledger.num_blocks().unwrap();

    let valid = w.proposal(0);
    let mut bad_signature = w.proposal(1);
    bad_signature.tx.signature.ring_signatures[0].responses[0].0[0] ^= 1;
    let mut bad_range = w.proposal(2);
    let mid = bad_range.tx.signature.range_proof.len() / 2;
    bad_range.tx.signature.range_proof[mid] ^= 1;
    // Two spends of funds[0]: same key image as `valid`, other outputs.
    let conflicting = w.proposal(0);
    assert_eq!(valid.tx.key_images(), conflicting.tx.key_images());
    assert_ne!(valid.tx.hash(), conflicting.tx.hash());

    let mut query = |p: &ProposedTx| {
        let sealed = mcnode_enclave::chunks::seal_chunks(&mut session, &encode(p)).unwrap();
        let ctx = e.client_tx_propose(sealed).unwrap();
        let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
        WellFormedQuery { tx: ctx.encrypted, highest }
    };
    let mut queries =
        vec![query(&valid), query(&bad_signature), query(&bad_range), query(&conflicting)];
    let mut junk = queries[0].clone();
    junk.tx = LocallyEncryptedTx(vec![0; 60]);
    queries.insert(1, junk);

    let verdicts = e.txs_are_well_formed(height, queries.clone()).unwrap();
    assert_eq!(verdicts.len(), 5);
    let refusal = |v: &WellFormedVerdict| match v {
        WellFormedVerdict::Refused(e) => Some(*e),
        WellFormedVerdict::WellFormed { .. } => None,
    };
    assert_eq!(refusal(&verdicts[0]), None, "the valid transaction was refused");
    assert_eq!(refusal(&verdicts[1]), Some(EnclaveError::BadCiphertext));
    assert_eq!(refusal(&verdicts[2]), Some(EnclaveError::TxRejected(TxRule::RingSignature)));
    assert!(refusal(&verdicts[3]).is_some(), "a tampered range proof was accepted");
    assert_eq!(refusal(&verdicts[4]), None, "a conflicting spend was refused in a batch");
    let hash = |v: &WellFormedVerdict| match v {
        WellFormedVerdict::WellFormed { context, .. } => context.tx_hash,
        WellFormedVerdict::Refused(e) => panic!("refused: {e:?}"),
    };
    assert_eq!(hash(&verdicts[0]), valid.tx.hash());
    assert_eq!(hash(&verdicts[4]), conflicting.tx.hash());

    // Alone, each gets the same verdict.
    for (q, batch) in queries.into_iter().zip(&verdicts) {
        let alone = e.tx_is_well_formed(q.tx, height, q.highest);
        match (alone, refusal(batch)) {
            (Ok((context, _)), None) => assert_eq!(context.tx_hash, hash(batch)),
            (Err(BoundaryError::Refused(a)), Some(b)) => assert_eq!(a, b),
            (a, b) => panic!("alone {a:?}, in the batch {b:?}"),
        }
    }
}

#[test]
fn an_oversized_batch_is_refused_by_the_decoder() {
    let mut w = world(0, 30, 1);
    let (mut e, _) = enclave(&w, 9);
    let mut session = client_session(&mut e, &w.channel_config(), root().public(), 20);
    let p = w.proposal(0);
    let sealed = mcnode_enclave::chunks::seal_chunks(&mut session, &encode(&p)).unwrap();
    let ctx = e.client_tx_propose(sealed).unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let q = WellFormedQuery { tx: ctx.encrypted, highest };
    let max = mcnode_enclave::host_types::MAX_WELL_FORMED_PER_CALL as usize;
    let r = e.txs_are_well_formed(1, vec![q; max + 1]);
    assert!(matches!(r, Err(BoundaryError::Refused(EnclaveError::MalformedCall))), "{r:?}");
}
