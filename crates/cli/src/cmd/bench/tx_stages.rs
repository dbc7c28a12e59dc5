//! Where one transaction's validation time goes: each stage of `verify_batch` measured alone
//! on one thread over the same transactions, so the part above the crypto floor can be
//! attributed (structure, balance, signing message, ring signatures, range-proof parsing,
//! ledger lookups and membership proofs).

use mcnode_tx::range::{PreparedRangeProof, RangeBatch, verify_each};
use mcnode_tx::tx::Tx;
use mcnode_tx::validation::batch::RANGE_CHUNK;
use mcnode_tx::validation::stateless::{
    check_balance, check_ring_signatures, check_structure, prepare_range_proof_with,
};
use mcnode_tx::validation::{
    ValidationContext, validate_with_ledger, verify_batch, verify_batch_stateless,
};
use mcnode_tx::{Encode, LedgerView};

/// One measured stage: JSON key, seconds per transaction, description.
pub struct Stage {
    pub key: &'static str,
    pub seconds: f64,
    pub what: &'static str,
}

/// Measures every stage over `txs` (cycled) with `measure(f)` = seconds per call of `f`.
pub fn measure_stages<L: LedgerView + ?Sized>(
    txs: &[Tx],
    ctx: &ValidationContext,
    ledger: &L,
    measure: &mut dyn FnMut(&mut dyn FnMut()) -> f64,
) -> Vec<Stage> {
    let outputs: Vec<_> = txs.iter().map(|tx| check_balance(tx).unwrap_or_default()).collect();
    let mut stage = |key, what, f: &dyn Fn(usize) -> bool| {
        let mut i = 0usize;
        let seconds = measure(&mut || {
            std::hint::black_box(f(i % txs.len()));
            i += 1;
        });
        Stage { key, seconds, what }
    };
    vec![
        stage("stage_structure_us", "structure, uniqueness, output key validity", &|i| {
            check_structure(&txs[i], ctx).is_ok()
        }),
        stage("stage_balance_us", "balance (commitment decompression and sum)", &|i| {
            check_balance(&txs[i]).is_ok()
        }),
        stage("stage_signing_message_us", "signing message (hash of prefix and proofs)", &|i| {
            txs[i].signing_message()[0] == 0
        }),
        stage("stage_ring_signatures_us", "ring signatures incl. signing message", &|i| {
            check_ring_signatures(&txs[i]).is_ok()
        }),
        stage("stage_range_parse_us", "range proof parsing (point decompression)", &|i| {
            prepare_range_proof_with(&txs[i], &outputs[i]).is_ok()
        }),
        stage("stage_ledger_us", "ledger rules (lookups, membership proofs)", &|i| {
            validate_with_ledger(&txs[i], ledger).is_ok()
        }),
        stage(
            "stage_tx_hash_us",
            "whole-transaction hash (the enclave's, not in the batch)",
            &|i| txs[i].hash().0[0] == 0,
        ),
        stage("stage_encode_us", "canonical encoding (for reference)", &|i| {
            txs[i].to_canonical_bytes().is_empty()
        }),
    ]
}

/// Batch-level stages over all of `txs` (seconds per transaction): the stateless half of
/// `verify_batch`, the whole of it, and the batch's own range proofs (all distinct) in the
/// chunks `verify_batch` uses, once verified only (parsed beforehand, as the crypto floor's
/// hot batch is) and once parsed and verified as `verify_batch` does. Together with the
/// per-transaction stages they split what a batch costs beyond the floor.
pub fn measure_batch_stages<L: LedgerView + Sync + ?Sized>(
    txs: &[Tx],
    ctx: &ValidationContext,
    ledger: &L,
    measure: &mut dyn FnMut(&mut dyn FnMut()) -> f64,
) -> Result<Vec<Stage>, String> {
    let n = txs.len().max(1) as f64;
    let outputs: Vec<_> = txs.iter().map(|tx| check_balance(tx).unwrap_or_default()).collect();
    let prepare = || -> Result<Vec<PreparedRangeProof>, String> {
        txs.iter()
            .zip(&outputs)
            .map(|(tx, o)| prepare_range_proof_with(tx, o).map_err(|e| e.to_string()))
            .collect()
    };
    let mut chunks = Vec::new();
    let mut all = prepare()?.into_iter().peekable();
    while all.peek().is_some() {
        let chunk: Vec<_> = all.by_ref().take(RANGE_CHUNK).collect();
        chunks.push(RangeBatch::new(chunk).ok_or("range proofs of mixed shapes")?);
    }
    let mut stages = Vec::new();
    let mut stage = |key, what, f: &mut dyn FnMut()| {
        stages.push(Stage { key, seconds: measure(f) / n, what });
    };
    stage(
        "stage_range_distinct_us",
        "range proofs of the batch (distinct), chunks of 64, verify only",
        &mut || {
            std::hint::black_box(chunks.iter().all(|c| c.verify().is_ok()));
        },
    );
    stage(
        "stage_range_prepare_verify_us",
        "range proofs of the batch, parsed then verified as verify_batch does",
        &mut || {
            let proofs = prepare().unwrap_or_default();
            let mut it = proofs.into_iter().peekable();
            let mut ok = true;
            while it.peek().is_some() {
                ok &=
                    verify_each(it.by_ref().take(RANGE_CHUNK).collect()).iter().all(|r| r.is_ok());
            }
            std::hint::black_box(ok);
        },
    );
    stage("stage_stateless_batch_us", "verify_batch_stateless over the batch", &mut || {
        std::hint::black_box(verify_batch_stateless(txs, ctx).len());
    });
    stage("stage_verify_batch_us", "verify_batch over the batch (stateless + ledger)", &mut || {
        std::hint::black_box(verify_batch(txs, ctx, ledger).len());
    });
    Ok(stages)
}
