//! Checks that need only the transaction, the fee configuration and the height.

use std::collections::{HashMap, HashSet};

use curve25519_dalek::{RistrettoPoint, traits::Identity};

use super::{TxError, ValidationContext};
use crate::amount::public_value_point;
use crate::range::{self, PreparedRangeProof};
use crate::ring::{RING_SIZE, RingMember};
use crate::tx::{MAX_INPUTS, MAX_OUTPUTS, MAX_TOMBSTONE_BLOCKS, Tx};

/// All stateless rules: [`check_structure`], [`check_balance`], [`check_ring_signatures`] and
/// the range proof.
pub fn validate_stateless(tx: &Tx, ctx: &ValidationContext) -> Result<(), TxError> {
    check_structure(tx, ctx)?;
    let outputs = check_balance(tx)?;
    check_ring_signatures(tx)?;
    prepare_range_proof_with(tx, &outputs)?.verify()?;
    Ok(())
}

/// Counts, sort orders, uniqueness (ring members across rings, key images, output keys),
/// tombstone, fee, memos, output key validity (cheap rules first).
pub fn check_structure(tx: &Tx, ctx: &ValidationContext) -> Result<(), TxError> {
    let p = &tx.prefix;
    let s = &tx.signature;
    if p.inputs.is_empty() || p.inputs.len() > MAX_INPUTS {
        return Err(TxError::InputCount { count: p.inputs.len() });
    }
    if p.outputs.is_empty() || p.outputs.len() > MAX_OUTPUTS {
        return Err(TxError::OutputCount { count: p.outputs.len() });
    }
    for (i, input) in p.inputs.iter().enumerate() {
        if input.ring.len() != RING_SIZE {
            return Err(TxError::RingSize { input: i, size: input.ring.len() });
        }
        if !input.ring.windows(2).all(|w| w[0].target_key < w[1].target_key) {
            return Err(TxError::RingNotSorted { input: i });
        }
    }
    let mut members = HashMap::with_capacity(p.inputs.len() * RING_SIZE);
    for (i, input) in p.inputs.iter().enumerate() {
        for (m, member) in input.ring.iter().enumerate() {
            if let Some(&other_input) = members.get(&member.target_key) {
                return Err(TxError::DuplicateRingMember { input: i, member: m, other_input });
            }
            members.insert(member.target_key, i);
        }
    }
    if !p.inputs.windows(2).all(|w| w[0].ring_order(&w[1]) != std::cmp::Ordering::Greater) {
        return Err(TxError::InputsNotSorted);
    }
    if !p.outputs.windows(2).all(|w| w[0].public_key < w[1].public_key) {
        return Err(TxError::OutputsNotSorted);
    }
    if s.pseudo_outputs.len() != p.inputs.len() || s.ring_signatures.len() != p.inputs.len() {
        return Err(TxError::SignatureCount {
            inputs: p.inputs.len(),
            pseudo_outputs: s.pseudo_outputs.len(),
            ring_signatures: s.ring_signatures.len(),
        });
    }
    let mut images = HashSet::with_capacity(s.ring_signatures.len());
    for sig in &s.ring_signatures {
        if !images.insert(sig.key_image) {
            return Err(TxError::DuplicateKeyImage { key_image: sig.key_image });
        }
    }
    let mut targets = HashSet::with_capacity(p.outputs.len());
    for o in &p.outputs {
        if !targets.insert(o.target_key) {
            return Err(TxError::DuplicateOutputTargetKey { target_key: o.target_key });
        }
    }
    if ctx.height >= p.tombstone_block {
        return Err(TxError::TombstoneExpired { tombstone: p.tombstone_block, height: ctx.height });
    }
    if p.tombstone_block - ctx.height > MAX_TOMBSTONE_BLOCKS {
        return Err(TxError::TombstoneTooFar {
            tombstone: p.tombstone_block,
            height: ctx.height,
            max: MAX_TOMBSTONE_BLOCKS,
        });
    }
    let minimum =
        ctx.fees.minimum_fee(p.token_id).ok_or(TxError::UnknownToken { token: p.token_id })?;
    if p.fee < minimum {
        return Err(TxError::FeeTooLow { fee: p.fee, minimum });
    }
    if let Some(output) = p.outputs.iter().position(|o| o.memo.is_none()) {
        return Err(TxError::MissingMemo { output });
    }
    for (i, o) in p.outputs.iter().enumerate() {
        if o.target_key.decompress().is_err() || o.public_key.decompress().is_err() {
            return Err(TxError::InvalidOutputKey { output: i });
        }
    }
    Ok(())
}

/// Rule: `Σ pseudo-outputs − Σ output commitments − fee·H_t = 0`. Returns the output
/// commitments, decompressed, for the range proof.
pub fn check_balance(tx: &Tx) -> Result<Vec<RistrettoPoint>, TxError> {
    let mut acc = RistrettoPoint::identity();
    for (i, c) in tx.signature.pseudo_outputs.iter().enumerate() {
        acc += c.0.decompress().map_err(|_| TxError::InvalidPseudoOutput { input: i })?;
    }
    let mut outputs = Vec::with_capacity(tx.prefix.outputs.len());
    for (i, o) in tx.prefix.outputs.iter().enumerate() {
        let c = o.masked_amount.commitment.0.decompress();
        let c = c.map_err(|_| TxError::InvalidOutputKey { output: i })?;
        acc -= c;
        outputs.push(c);
    }
    acc -= public_value_point(tx.prefix.token_id, tx.prefix.fee);
    if acc == RistrettoPoint::identity() { Ok(outputs) } else { Err(TxError::Unbalanced) }
}

/// Rule: every input's CLSAG verifies over its ring and pseudo-output for the signing message.
pub fn check_ring_signatures(tx: &Tx) -> Result<(), TxError> {
    let msg = tx.signing_message();
    for (i, ((input, sig), pseudo)) in tx
        .prefix
        .inputs
        .iter()
        .zip(&tx.signature.ring_signatures)
        .zip(&tx.signature.pseudo_outputs)
        .enumerate()
    {
        let ring: Vec<RingMember> = input.ring.iter().map(RingMember::from).collect();
        sig.verify(&msg, &ring, pseudo)
            .map_err(|source| TxError::RingSignature { input: i, source })?;
    }
    Ok(())
}

/// [`prepare_range_proof`] with the output commitments already decompressed (from
/// [`check_balance`]).
pub fn prepare_range_proof_with(
    tx: &Tx,
    outputs: &[RistrettoPoint],
) -> Result<PreparedRangeProof, TxError> {
    let commitments: Vec<_> =
        tx.prefix.outputs.iter().map(|o| o.masked_amount.commitment).collect();
    Ok(range::PreparedRangeProof::with_points(
        &commitments,
        outputs,
        tx.prefix.token_id,
        &tx.signature.range_proof,
    )?)
}

/// Parses the range proof against the outputs' commitments, ready for (batch) verification.
pub fn prepare_range_proof(tx: &Tx) -> Result<PreparedRangeProof, TxError> {
    let commitments: Vec<_> =
        tx.prefix.outputs.iter().map(|o| o.masked_amount.commitment).collect();
    Ok(range::PreparedRangeProof::new(&commitments, tx.prefix.token_id, &tx.signature.range_proof)?)
}
