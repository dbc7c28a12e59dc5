//! Host-side helpers: the ledger data the enclave asks for, read from a [`Ledger`]. Nothing
//! here sees a transaction; it works from the host-visible [`TxContext`] only.

use mcnode_ledger::{Block, Ledger, LedgerError};

use crate::call::FormBlockInputs;
use crate::host_types::{Frontier, HighestProof, PrefixProof, TxContext, WellFormedEncryptedTx};

/// Why the host could not gather ledger data for a call.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The output the transaction names is not in the ledger.
    #[error("output {index} is not in the ledger")]
    NoSuchOutput {
        /// Its index.
        index: u64,
    },
    /// The ledger has no blocks yet.
    #[error("the ledger has no blocks")]
    EmptyLedger,
}

/// The host's proof for `ctx`'s highest ring index, at the ledger size its ring proofs name.
pub fn highest_proof(ledger: &impl Ledger, ctx: &TxContext) -> Result<HighestProof, HostError> {
    let output = ledger
        .output(ctx.highest_index)?
        .ok_or(HostError::NoSuchOutput { index: ctx.highest_index })?;
    let proof = ledger.membership_proof_at(ctx.highest_index, ctx.leaf_count)?;
    Ok(HighestProof { output, proof })
}

/// The right edge of the ledger's tree after `parent` (`None` if it has no outputs).
pub fn frontier(ledger: &impl Ledger, parent: &Block) -> Result<Option<Frontier>, HostError> {
    let n = parent.cumulative_txo_count;
    if n == 0 {
        return Ok(None);
    }
    let last = ledger.output(n - 1)?.ok_or(HostError::NoSuchOutput { index: n - 1 })?;
    let proof = ledger.membership_proof_at(n - 1, n)?;
    Ok(Some(Frontier { last_leaf: last.leaf_hash(), proof }))
}

/// The proof that the tree of the first `size` outputs is a prefix of the tree after `parent`
/// (`None` if `size` is 0 or beyond the parent's output count).
pub fn prefix_proof(
    ledger: &impl Ledger,
    parent: &Block,
    size: u64,
) -> Result<Option<PrefixProof>, HostError> {
    if size == 0 || size > parent.cumulative_txo_count {
        return Ok(None);
    }
    let last = ledger.output(size - 1)?.ok_or(HostError::NoSuchOutput { index: size - 1 })?;
    let proof = ledger.membership_proof_at(size - 1, parent.cumulative_txo_count)?;
    Ok(Some(PrefixProof { last_leaf: last.leaf_hash(), proof }))
}

/// `FormBlock` inputs for `txs` on top of the ledger's last block; `leaf_counts` are the
/// ledger sizes the transactions' ring proofs are against (their
/// [`crate::host_types::WellFormedTxContext::leaf_count`]), one prefix proof is made per
/// distinct size.
pub fn form_block_inputs(
    ledger: &impl Ledger,
    txs: Vec<WellFormedEncryptedTx>,
    leaf_counts: impl IntoIterator<Item = u64>,
    now: u64,
) -> Result<FormBlockInputs, HostError> {
    let parent = ledger.last_block()?.ok_or(HostError::EmptyLedger)?;
    let sizes: std::collections::BTreeSet<u64> = leaf_counts.into_iter().collect();
    let mut ring_roots = Vec::with_capacity(sizes.len());
    for size in sizes {
        ring_roots.extend(prefix_proof(ledger, &parent, size)?);
    }
    Ok(FormBlockInputs { frontier: frontier(ledger, &parent)?, parent, txs, ring_roots, now })
}

/// For clients (wallets) holding a copy of the ledger: the membership proof of every ring
/// member of `tx` (inputs in order, members in ring order) against the current tree, as
/// [`crate::host_types::ProposedTx::ring_proofs`] wants them.
pub fn ring_proofs(
    ledger: &impl Ledger,
    tx: &mcnode_tx::tx::Tx,
) -> Result<Vec<mcnode_tx::MembershipProof>, HostError> {
    let n = ledger.num_outputs()?;
    let mut out = Vec::new();
    for input in &tx.prefix.inputs {
        for member in &input.ring {
            let index = ledger
                .output_index(&member.public_key)?
                .ok_or(HostError::NoSuchOutput { index: u64::MAX })?;
            out.push(ledger.membership_proof_at(index, n)?);
        }
    }
    Ok(out)
}
