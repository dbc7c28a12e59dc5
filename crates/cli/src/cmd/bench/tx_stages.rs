//! Where one transaction's validation time goes: each stage of `verify_batch` measured alone
//! on one thread over the same transactions, so the part above the crypto floor can be
//! attributed (structure, balance, signing message, ring signatures, range-proof parsing,
//! ledger lookups and membership proofs).

use mcnode_tx::tx::Tx;
use mcnode_tx::validation::stateless::{
    check_balance, check_ring_signatures, check_structure, prepare_range_proof_with,
};
use mcnode_tx::validation::{ValidationContext, validate_with_ledger};
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
