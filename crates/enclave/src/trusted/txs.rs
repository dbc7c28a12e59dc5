//! Transactions inside the enclave: propose (decrypt, check the proofs' shape, re-encrypt for
//! the cache) and the well-formedness check (full validation with the ring proofs the client
//! sent, against the root fixed by the host's proof of the highest ring member).
//!
//! Rules here besides `mcnode_tx::validation` (MobileCoin `tx_is_well_formed`):
//! - one membership proof per ring member, all against one ledger size (`leaf_count`);
//! - the host's proof is for the highest ring index at that size, for the very output the
//!   transaction names there; the root it implies is the root every ring proof must reach;
//! - key images unspent and outputs new are checked by the host against its ledger (the
//!   enclave reports them), and again by the ledger when the block is appended;
//! - at `FormBlock` the ring proofs are checked again, against the parent block's root
//!   ([`check_rings`] with the root `super::chain::prefix_root` derives).

use std::collections::HashMap;

use mcnode_crypto::CompressedPoint;
use mcnode_tx::validation::{
    TxError, ValidationContext, validate_with_ledger, verify_batch_stateless,
};
use mcnode_tx::{KeyImage, LedgerView, LedgerViewError, MembershipProof};
use mcnode_types::{Decode, Encode, Hash32};

use crate::host_types::{HighestProof, ProposedTx, TxContext, WellFormedTxContext};
use crate::refusal::{EnclaveError, TxRule};

/// Priority of a fee: `fee * 128 / minimum` (128 at the minimum fee, like MobileCoin's
/// `fee / (min_fee >> 7)`).
pub fn priority(fee: u64, minimum: u64) -> u64 {
    let p = (fee as u128 * 128) / (minimum.max(1) as u128);
    p.min(u64::MAX as u128) as u64
}

/// Checks the proofs' shape; returns (highest index, leaf count).
pub fn proof_shape(p: &ProposedTx) -> Result<(u64, u64), EnclaveError> {
    let members: usize = p.tx.prefix.inputs.iter().map(|i| i.ring.len()).sum();
    let bad = EnclaveError::TxRejected(TxRule::RingProofs);
    if members == 0 || p.ring_proofs.len() != members {
        return Err(bad);
    }
    let leaf_count = p.ring_proofs[0].leaf_count;
    if p.ring_proofs.iter().any(|q| q.leaf_count != leaf_count || q.index >= leaf_count) {
        return Err(bad);
    }
    let highest = p.ring_proofs.iter().map(|q| q.index).max().ok_or(bad)?;
    Ok((highest, leaf_count))
}

/// The host-visible context of a proposed transaction (without the ciphertext).
pub fn context(p: &ProposedTx, size: usize) -> Result<TxContext, EnclaveError> {
    let (highest_index, leaf_count) = proof_shape(p)?;
    Ok(TxContext {
        tx_hash: p.tx.hash(),
        key_images: p.tx.key_images(),
        output_public_keys: p.tx.output_public_keys(),
        highest_index,
        leaf_count,
        size: u32::try_from(size).map_err(|_| EnclaveError::MalformedPayload)?,
        encrypted: crate::host_types::LocallyEncryptedTx(Vec::new()),
    })
}

/// A ledger view made of the client's ring proofs and one trusted root.
struct ProofView<'a> {
    root: Hash32,
    leaf_count: u64,
    index_of: HashMap<CompressedPoint, u64>,
    proofs: HashMap<u64, &'a MembershipProof>,
}

impl LedgerView for ProofView<'_> {
    fn num_outputs(&self) -> Result<u64, LedgerViewError> {
        Ok(self.leaf_count)
    }
    fn merkle_root(&self) -> Result<Hash32, LedgerViewError> {
        Ok(self.root)
    }
    fn output_index(&self, public_key: &CompressedPoint) -> Result<Option<u64>, LedgerViewError> {
        Ok(self.index_of.get(public_key).copied())
    }
    fn membership_proof(&self, index: u64) -> Result<MembershipProof, LedgerViewError> {
        self.proofs.get(&index).map(|p| (*p).clone()).ok_or(LedgerViewError::NoSuchOutput { index })
    }
    fn contains_key_image(&self, _key_image: &KeyImage) -> Result<bool, LedgerViewError> {
        // Spent key images are the host's check (it holds the ledger); see the module doc.
        Ok(false)
    }
}

/// What the checks before any signature or proof fix about a transaction: the root its ring
/// proofs must reach, from the host's proof of its highest ring member.
struct Anchor {
    root: Hash32,
    highest_index: u64,
    leaf_count: u64,
}

/// The proofs' shape and the host's proof: the transaction names, at its highest ring index,
/// the very output the host's ledger holds there, and that output's proof fixes the root.
fn anchor(p: &ProposedTx, highest: &HighestProof) -> Result<Anchor, EnclaveError> {
    let (highest_index, leaf_count) = proof_shape(p)?;
    let host_bad = EnclaveError::TxRejected(TxRule::HostProof);
    if highest.proof.index != highest_index || highest.proof.leaf_count != leaf_count {
        return Err(host_bad);
    }
    let members = p.tx.prefix.inputs.iter().flat_map(|i| i.ring.iter());
    let named_highest =
        members.zip(&p.ring_proofs).find(|(_, q)| q.index == highest_index).map(|(m, _)| m);
    if named_highest != Some(&highest.output) {
        return Err(host_bad);
    }
    let root = highest.proof.implied_root(&highest.output.leaf_hash()).map_err(|_| host_bad)?;
    Ok(Anchor { root, highest_index, leaf_count })
}

/// The rules after the stateless ones: ring proofs against the anchored root, a configured
/// token; returns the host-visible context.
fn finish(
    p: &ProposedTx,
    size: usize,
    a: &Anchor,
    ctx: &ValidationContext,
) -> Result<WellFormedTxContext, EnclaveError> {
    check_rings(p, a.root, a.leaf_count)?;
    let minimum = ctx
        .fees
        .minimum_fee(p.tx.prefix.token_id)
        .ok_or(TxError::UnknownToken { token: p.tx.prefix.token_id })?;
    Ok(WellFormedTxContext {
        tx_hash: p.tx.hash(),
        key_images: p.tx.key_images(),
        output_public_keys: p.tx.output_public_keys(),
        tombstone: p.tx.prefix.tombstone_block,
        priority: priority(p.tx.prefix.fee, minimum),
        highest_index: a.highest_index,
        leaf_count: a.leaf_count,
        size: u32::try_from(size).map_err(|_| EnclaveError::MalformedPayload)?,
    })
}

/// [`well_formed_batch`] of one transaction at `height`.
pub fn well_formed(
    p: &ProposedTx,
    size: usize,
    height: u64,
    highest: &HighestProof,
    ctx: &ValidationContext,
) -> Result<WellFormedTxContext, EnclaveError> {
    let ctx = ValidationContext { fees: ctx.fees.clone(), height };
    let one = [Candidate { proposed: p, size, highest }];
    well_formed_batch(&one, &ctx).pop().unwrap_or(Err(EnclaveError::Internal))
}

/// One transaction of [`well_formed_batch`]: the decrypted proposal, its size in bytes and the
/// host's proof of its highest ring member.
pub struct Candidate<'a> {
    /// The proposal.
    pub proposed: &'a ProposedTx,
    /// Its canonical size.
    pub size: usize,
    /// The host's proof.
    pub highest: &'a HighestProof,
}

/// Full validation of proposed transactions at `ctx.height`, each with the host's proof of its
/// highest ring member, in one batch: per transaction the proof anchoring, then the stateless
/// rules (`mcnode_tx`'s `verify_batch_stateless`: signatures one by one, range proofs in
/// batches, a failed batch re-checked proof by proof), then the ring proofs. Each verdict is
/// the one the transaction gets alone: `verify_batch_stateless`'s rule against two
/// transactions of one batch spending one key image or creating one output key is for
/// blocks, not the pool (the pool holds conflicting transactions; a block takes one), so it
/// does not refuse here.
pub fn well_formed_batch(
    candidates: &[Candidate<'_>],
    ctx: &ValidationContext,
) -> Vec<Result<WellFormedTxContext, EnclaveError>> {
    let anchors: Vec<Result<Anchor, EnclaveError>> =
        candidates.iter().map(|c| anchor(c.proposed, c.highest)).collect();
    let anchored: Vec<usize> = (0..candidates.len()).filter(|&i| anchors[i].is_ok()).collect();
    let txs: Vec<mcnode_tx::Tx> =
        anchored.iter().map(|&i| candidates[i].proposed.tx.clone()).collect();
    let mut stateless: Vec<Option<Result<(), TxError>>> =
        std::iter::repeat_with(|| None).take(candidates.len()).collect();
    for (i, v) in anchored.into_iter().zip(verify_batch_stateless(&txs, ctx)) {
        stateless[i] = Some(v);
    }
    candidates
        .iter()
        .zip(anchors)
        .zip(stateless)
        .map(|((c, a), v)| {
            let a = a?;
            match v {
                Some(
                    Ok(())
                    | Err(TxError::KeyImageInBatch { .. } | TxError::OutputKeyInBatch { .. }),
                ) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Err(EnclaveError::Internal),
            }
            finish(c.proposed, c.size, &a, ctx)
        })
        .collect()
}

/// The ledger rules with the client's ring proofs (ledger size `leaf_count`) against `root`:
/// every ring member has a proof that verifies against `root`. Key images and output keys are
/// not checked against the ledger here (the enclave holds no ledger; see the module doc).
pub fn check_rings(p: &ProposedTx, root: Hash32, leaf_count: u64) -> Result<(), TxError> {
    let members = p.tx.prefix.inputs.iter().flat_map(|i| i.ring.iter());
    let mut index_of = HashMap::new();
    let mut proofs = HashMap::new();
    for (member, proof) in members.zip(&p.ring_proofs) {
        index_of.entry(member.public_key).or_insert(proof.index);
        proofs.entry(proof.index).or_insert(proof);
    }
    let view = ProofView { root, leaf_count, index_of, proofs };
    validate_with_ledger(&p.tx, &view)
}

/// Decodes a [`ProposedTx`] from decrypted bytes.
pub fn decode_proposed(bytes: &[u8]) -> Result<ProposedTx, EnclaveError> {
    ProposedTx::from_canonical_bytes(bytes).map_err(|_| EnclaveError::MalformedPayload)
}

/// Decodes a list of transactions from a peer.
pub fn decode_proposed_list(bytes: &[u8]) -> Result<Vec<ProposedTx>, EnclaveError> {
    let mut r = mcnode_types::Reader::new(bytes);
    let v: Vec<ProposedTx> =
        r.seq(crate::host_types::MAX_TXS_PER_CALL).map_err(|_| EnclaveError::MalformedPayload)?;
    r.finish().map_err(|_| EnclaveError::MalformedPayload)?;
    Ok(v)
}

/// Encodes a list of transactions for a peer.
pub fn encode_proposed_list(txs: &[ProposedTx]) -> Vec<u8> {
    txs.to_canonical_bytes()
}
