//! Validating many transactions at once, as a block does.
//!
//! Per transaction (in parallel with rayon): structure, balance, ring signatures, range-proof
//! parsing. Then the range proofs of all transactions that passed are verified together in
//! Bulletproofs+ batches (one multiscalar multiplication per chunk; chunks run in parallel).
//! A failed chunk is re-verified proof by proof to name the culprit. Finally a key image or an
//! output public key used by two transactions of the batch rejects the later one
//! ([`TxError::KeyImageInBatch`], [`TxError::OutputKeyInBatch`]), as one block may hold neither.

use std::collections::HashMap;

use rayon::prelude::*;

use super::stateless::{
    check_balance, check_ring_signatures, check_structure, prepare_range_proof_with,
};
use super::{TxError, ValidationContext, ledger::validate_with_ledger};
use crate::LedgerView;
use crate::range::{PreparedRangeProof, verify_each};
use crate::tx::Tx;

/// Proofs per batch verification chunk (batches amortise up to about this size; larger chunks
/// gain little and leave threads idle).
pub const RANGE_CHUNK: usize = 64;

/// Stateless validation of every transaction; `result[i]` is transaction `i`'s verdict.
pub fn verify_batch_stateless(txs: &[Tx], ctx: &ValidationContext) -> Vec<Result<(), TxError>> {
    let prepared: Vec<Result<PreparedRangeProof, TxError>> = txs
        .par_iter()
        .map(|tx| {
            check_structure(tx, ctx)?;
            let outputs = check_balance(tx)?;
            check_ring_signatures(tx)?;
            prepare_range_proof_with(tx, &outputs)
        })
        .collect();
    let mut results: Vec<Result<(), TxError>> = Vec::with_capacity(txs.len());
    let mut pending: Vec<(usize, PreparedRangeProof)> = Vec::new();
    for (i, r) in prepared.into_iter().enumerate() {
        match r {
            Ok(p) => {
                pending.push((i, p));
                results.push(Ok(()));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    let chunk = RANGE_CHUNK.min(pending.len().div_ceil(rayon::current_num_threads()).max(1));
    let mut chunks: Vec<Vec<(usize, PreparedRangeProof)>> = Vec::new();
    let mut it = pending.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(chunk).collect());
    }
    let failures: Vec<(usize, TxError)> = chunks
        .into_par_iter()
        .flat_map_iter(|c| {
            let (indices, proofs): (Vec<usize>, Vec<PreparedRangeProof>) = c.into_iter().unzip();
            let verdicts = verify_each(proofs);
            indices
                .into_iter()
                .zip(verdicts)
                .filter_map(|(i, v)| v.err().map(|e| (i, TxError::RangeProof(e))))
                .collect::<Vec<_>>()
        })
        .collect();
    for (i, e) in failures {
        results[i] = Err(e);
    }
    let mut seen = HashMap::with_capacity(txs.len());
    let mut outputs = HashMap::with_capacity(2 * txs.len());
    for (i, tx) in txs.iter().enumerate() {
        if results[i].is_err() {
            continue;
        }
        if let Some(&other) =
            tx.signature.ring_signatures.iter().find_map(|s| seen.get(&s.key_image))
        {
            results[i] = Err(TxError::KeyImageInBatch { other });
            continue;
        }
        if let Some(&other) = tx.prefix.outputs.iter().find_map(|o| outputs.get(&o.public_key)) {
            results[i] = Err(TxError::OutputKeyInBatch { other });
            continue;
        }
        for sig in &tx.signature.ring_signatures {
            seen.insert(sig.key_image, i);
        }
        for o in &tx.prefix.outputs {
            outputs.insert(o.public_key, i);
        }
    }
    results
}

/// Stateless and ledger validation of every transaction.
pub fn verify_batch<L: LedgerView + Sync + ?Sized>(
    txs: &[Tx],
    ctx: &ValidationContext,
    ledger: &L,
) -> Vec<Result<(), TxError>> {
    let mut results = verify_batch_stateless(txs, ctx);
    let ledger_results: Vec<Option<TxError>> = txs
        .par_iter()
        .zip(results.par_iter())
        .map(|(tx, r)| if r.is_ok() { validate_with_ledger(tx, ledger).err() } else { None })
        .collect();
    for (r, e) in results.iter_mut().zip(ledger_results) {
        if let Some(e) = e {
            *r = Err(e);
        }
    }
    results
}
