//! Decoys: how the wallet chooses the outputs its real inputs hide among.
//!
//! Distribution: every decoy is drawn UNIFORMLY, without replacement, from all outputs in the
//! ledger at the wallet's verified tip (global indices `0..cumulative_txo_count`), excluding
//! the wallet's real inputs; each transaction draws all its decoys at once, so no output is in
//! two rings. This is MobileCoin's choice (its wallets draw uniformly over the whole ledger;
//! amounts and token ids are hidden, so outputs of every token are equally good decoys).
//! Monero instead draws from a gamma distribution over output age, matching how soon people
//! spend what they receive; with uniform draws, a real input much younger than the ledger's
//! typical output stands out, which is a known limit of this choice. The real input's position
//! in its ring is the rank of its target key among the ring's 11 (the ring is sorted by target
//! key, see `mcnode_tx::builder`); target keys are pseudo-random and the 10 decoys are uniform
//! draws from the same ledger, so the real input and its decoys are exchangeable and that rank
//! is uniform over 0..11 (a test counts positions over 11,000 rings).
//!
//! The enclave needs a membership proof for every ring member, real inputs included, and this
//! wallet keeps no copy of the ledger's Merkle tree, so it asks `GetOutputs` for the real inputs
//! and the decoys in ONE request, in shuffled order: the node learns the set of ring members
//! (which the transaction reveals to the enclave anyway) but not which of them are real. Each
//! answer is checked against the verified block's Merkle root with its membership proof, so a
//! node cannot feed the wallet outputs that are not in the ledger (which would make a ring
//! trivial) nor proofs the enclave would refuse.

use std::collections::{HashSet, VecDeque};

use mcnode_crypto::{CompressedPoint, CryptoRng};
use mcnode_ledger::Block;
use mcnode_tx::TxOut;
use mcnode_tx::builder::RingSource;

use crate::error::ClientError;
use crate::node_api::{OutputWithProof, OutputsAnswer};

/// `count` distinct indices drawn uniformly from `0..total`, none in `exclude`.
pub fn draw_indices<R: CryptoRng>(
    rng: &mut R,
    total: u64,
    count: usize,
    exclude: &HashSet<u64>,
) -> Result<Vec<u64>, ClientError> {
    let free = total.saturating_sub(exclude.iter().filter(|i| **i < total).count() as u64);
    if free < count as u64 {
        return Err(ClientError::LedgerTooSmall {
            have: total,
            needed: count as u64 + (total - free),
        });
    }
    let mut picked: Vec<u64> = Vec::with_capacity(count);
    let mut seen: HashSet<u64> = HashSet::with_capacity(count);
    while picked.len() < count {
        let i = uniform_below(rng, total);
        if !exclude.contains(&i) && seen.insert(i) {
            picked.push(i);
        }
    }
    Ok(picked)
}

/// Shuffles `v` uniformly (Fisher-Yates).
pub fn shuffle<T, R: CryptoRng>(rng: &mut R, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = uniform_below(rng, i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

/// A uniform integer in `0..n` (`n > 0`), by rejection (no modulo bias).
fn uniform_below<R: CryptoRng>(rng: &mut R, n: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % n;
        }
    }
}

/// Checks a `GetOutputs` answer for `indices` against the verified header `at`, and returns the
/// outputs with their proofs in the order asked.
pub fn verify_outputs(
    indices: &[u64],
    at: &Block,
    answer: OutputsAnswer,
) -> Result<Vec<OutputWithProof>, ClientError> {
    if answer.outputs.len() != indices.len() {
        return Err(crate::node_api::NodeError::Protocol {
            what: "GetOutputs answered another count",
        }
        .into());
    }
    let mut out = Vec::with_capacity(indices.len());
    for (index, item) in indices.iter().zip(answer.outputs) {
        let ok = item.proof.index == *index
            && item.proof.leaf_count == at.cumulative_txo_count
            && item.proof.verify(&item.output.leaf_hash(), &at.root_element).is_ok();
        if !ok {
            return Err(ClientError::BadOutputProof { index: *index });
        }
        out.push(item);
    }
    Ok(out)
}

/// Verified decoys handed to the builder in the (random) order drawn.
#[derive(Debug)]
pub struct DecoyPool {
    pool: VecDeque<TxOut>,
}

impl DecoyPool {
    /// A pool of verified outputs.
    pub fn new(outputs: Vec<TxOut>) -> Self {
        DecoyPool { pool: outputs.into() }
    }
}

impl RingSource for DecoyPool {
    fn decoys(&mut self, real: &TxOut, count: usize) -> Vec<TxOut> {
        self.decoys_excluding(real, count, &HashSet::new())
    }

    fn decoys_excluding(
        &mut self,
        real: &TxOut,
        count: usize,
        exclude: &HashSet<CompressedPoint>,
    ) -> Vec<TxOut> {
        let mut taken = Vec::with_capacity(count);
        let mut kept = VecDeque::with_capacity(self.pool.len());
        while let Some(o) = self.pool.pop_front() {
            if taken.len() < count
                && o.target_key != real.target_key
                && !exclude.contains(&o.target_key)
                && !taken.iter().any(|t: &TxOut| t.target_key == o.target_key)
            {
                taken.push(o);
            } else {
                kept.push_back(o);
            }
        }
        self.pool = kept;
        taken
    }
}
