//! Building a transaction: rings from real inputs and caller-supplied decoys, outputs to
//! addresses, change, fee, tombstone, proofs. Deterministic given a seeded RNG and a
//! deterministic [`RingSource`].
//!
//! Privacy rules it follows (MobileCoin `mc-transaction-builder`): each ring is the real input
//! plus 10 decoys, sorted by target key, so the real input's position depends only on the
//! decoys drawn (uniform when the decoys are a uniform sample) and nothing in the encoding
//! marks it; no output is in two rings (validation refuses it, as MobileCoin's does); outputs
//! are sorted by public key so the change output's position says nothing; a change output (to subaddress 1) is always present, even for zero change, so every
//! transaction of a payment has the same shape.

use std::collections::HashSet;

use curve25519_dalek::Scalar;
use mcnode_crypto::{CompressedPoint, CryptoRng, RistrettoPrivate};
use zeroize::{Zeroize, Zeroizing};

use crate::amount::commit;
use crate::range::{self, RangeProofError};
use crate::ring::{Clsag, RING_SIZE, RingError, RingMember};
use crate::tx::{MAX_INPUTS, MAX_OUTPUTS, Tx, TxIn, TxPrefix, TxSignature, signing_message};
use crate::tx_out::{MEMO_DATA_LEN, OwnedOutput};
use crate::{AccountKey, Amount, CompressedCommitment, PublicAddress, TokenId, TxOut, TxOutError};

/// Supplies decoys for rings (a wallet asks a node or its own ledger copy).
pub trait RingSource {
    /// `count` distinct ledger outputs, none equal to `real`, to hide `real` among, in random
    /// order (a uniform sample of the ledger keeps the real input's position uniform).
    fn decoys(&mut self, real: &TxOut, count: usize) -> Vec<TxOut>;

    /// Like [`Self::decoys`], but none whose target key is in `exclude` (the other rings'
    /// members and the other real inputs: no output may be in two rings of a transaction).
    /// The default asks [`Self::decoys`] for `count + exclude.len()` and drops the excluded.
    fn decoys_excluding(
        &mut self,
        real: &TxOut,
        count: usize,
        exclude: &HashSet<CompressedPoint>,
    ) -> Vec<TxOut> {
        let mut v = self.decoys(real, count + exclude.len());
        v.retain(|d| !exclude.contains(&d.target_key));
        v.truncate(count);
        v
    }
}

/// An output the account can spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpendableOutput {
    /// The ledger output.
    pub tx_out: TxOut,
    /// The subaddress it was paid to.
    pub subaddress_index: u64,
    /// Its amount (as read with the view key).
    pub amount: Amount,
}

/// Why a transaction could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// No inputs, or more than 16.
    #[error("{count} inputs; allowed 1..=16")]
    InputCount {
        /// Inputs given.
        count: usize,
    },
    /// More than 15 payment outputs (one slot is the change).
    #[error("{count} outputs plus change exceed 16")]
    OutputCount {
        /// Payment outputs given.
        count: usize,
    },
    /// Inputs do not cover outputs plus fee.
    #[error("inputs hold {available}, outputs plus fee need {needed}")]
    InsufficientFunds {
        /// Sum of inputs.
        available: u128,
        /// Outputs plus fee.
        needed: u128,
    },
    /// An input is in another token than the transaction.
    #[error("input {input} is in another token")]
    WrongToken {
        /// Input index.
        input: usize,
    },
    /// An input cannot be read by the account.
    #[error("input {input} is not spendable by this account: {source}")]
    NotOwned {
        /// Input index.
        input: usize,
        /// Why.
        source: TxOutError,
    },
    /// The same output given as two inputs.
    #[error("input {input} repeats an earlier input")]
    DuplicateInput {
        /// Input index.
        input: usize,
    },
    /// The ring source returned the wrong number of decoys, a duplicate, the real output, or
    /// a member of another ring of the transaction.
    #[error("ring source gave unusable decoys for input {input}")]
    BadDecoys {
        /// Input index.
        input: usize,
    },
    /// An output could not be created (invalid address).
    #[error("output {output}: {source}")]
    Output {
        /// Output index.
        output: usize,
        /// Why.
        source: TxOutError,
    },
    /// Range proof failure.
    #[error("range proof: {0}")]
    RangeProof(#[from] RangeProofError),
    /// Ring signature failure.
    #[error("ring signature: {0}")]
    Ring(#[from] RingError),
}

/// Picks inputs to cover `needed` (largest first), at most 16. `None` if impossible.
pub fn select_inputs(candidates: &[SpendableOutput], needed: u64) -> Option<Vec<SpendableOutput>> {
    let mut sorted: Vec<&SpendableOutput> = candidates.iter().collect();
    sorted.sort_by(|a, b| {
        b.amount.value.cmp(&a.amount.value).then(a.tx_out.public_key.cmp(&b.tx_out.public_key))
    });
    let mut total: u128 = 0;
    let mut picked = Vec::new();
    for c in sorted.into_iter().take(MAX_INPUTS) {
        if total >= needed as u128 {
            break;
        }
        total += c.amount.value as u128;
        picked.push(c.clone());
    }
    (total >= needed as u128 && !picked.is_empty()).then_some(picked)
}

/// The ring for `real` and `decoys`: all sorted by target key. Returns the ring and the real
/// member's position, or `None` if there are not exactly 10 decoys, distinct and different from
/// `real`. The position is a function of the keys only, so it is uniform over `0..11` when the
/// decoys are a uniform sample of the ledger.
pub fn assemble_ring(real: TxOut, decoys: Vec<TxOut>) -> Option<(Vec<TxOut>, usize)> {
    if decoys.len() != RING_SIZE - 1 {
        return None;
    }
    let mut ring = decoys;
    ring.push(real);
    ring.sort_by_key(|a| a.target_key);
    if !ring.windows(2).all(|w| w[0].target_key < w[1].target_key) {
        return None;
    }
    let index = ring.iter().position(|m| m.target_key == real.target_key)?;
    Some((ring, index))
}

/// A transaction under construction.
#[derive(Debug)]
pub struct TransactionBuilder<'a> {
    account: &'a AccountKey,
    token_id: TokenId,
    fee: u64,
    tombstone_block: u64,
    inputs: Vec<SpendableOutput>,
    outputs: Vec<(u64, PublicAddress, Option<[u8; MEMO_DATA_LEN]>)>,
}

/// Output openings `(value, blinding)`: secret, zeroized on drop.
struct Openings(Vec<(u64, Scalar)>);

impl Zeroize for Openings {
    fn zeroize(&mut self) {
        for (v, b) in &mut self.0 {
            v.zeroize();
            b.zeroize();
        }
    }
}

impl Drop for Openings {
    fn drop(&mut self) {
        self.zeroize();
    }
}

struct PreparedInput {
    ring: Vec<TxOut>,
    real_index: usize,
    owned: OwnedOutput,
}

impl<'a> TransactionBuilder<'a> {
    /// A transaction spending `account`'s outputs in `token_id`.
    pub fn new(account: &'a AccountKey, token_id: TokenId, fee: u64, tombstone_block: u64) -> Self {
        TransactionBuilder {
            account,
            token_id,
            fee,
            tombstone_block,
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Spends `input`.
    pub fn add_input(&mut self, input: SpendableOutput) -> &mut Self {
        self.inputs.push(input);
        self
    }

    /// Pays `value` to `to`, with an optional memo only the recipient can read.
    pub fn add_output(
        &mut self,
        value: u64,
        to: &PublicAddress,
        memo: Option<[u8; MEMO_DATA_LEN]>,
    ) -> &mut Self {
        self.outputs.push((value, *to, memo));
        self
    }

    /// Builds and signs. All randomness comes from `rng`.
    pub fn build<S: RingSource + ?Sized, R: CryptoRng>(
        &self,
        source: &mut S,
        rng: &mut R,
    ) -> Result<Tx, BuildError> {
        self.build_with(source, rng, |_, _, _| {})
    }

    /// Like [`Self::build`], but calls `tamper` on the prefix, pseudo-outputs and range proof
    /// just before signing, and signs what it leaves. For tests that must break exactly one
    /// rule while every signature stays valid (anyone holding the keys can do the same).
    /// Only with the `testkit` feature: not part of the production API.
    #[cfg(feature = "testkit")]
    pub fn build_tampered<S, R, F>(
        &self,
        source: &mut S,
        rng: &mut R,
        tamper: F,
    ) -> Result<Tx, BuildError>
    where
        S: RingSource + ?Sized,
        R: CryptoRng,
        F: FnOnce(&mut TxPrefix, &mut Vec<CompressedCommitment>, &mut Vec<u8>),
    {
        self.build_with(source, rng, tamper)
    }

    fn build_with<S, R, F>(&self, source: &mut S, rng: &mut R, tamper: F) -> Result<Tx, BuildError>
    where
        S: RingSource + ?Sized,
        R: CryptoRng,
        F: FnOnce(&mut TxPrefix, &mut Vec<CompressedCommitment>, &mut Vec<u8>),
    {
        if self.inputs.is_empty() || self.inputs.len() > MAX_INPUTS {
            return Err(BuildError::InputCount { count: self.inputs.len() });
        }
        if self.outputs.len() + 1 > MAX_OUTPUTS {
            return Err(BuildError::OutputCount { count: self.outputs.len() });
        }
        let mut prepared = Vec::with_capacity(self.inputs.len());
        let mut available: u128 = 0;
        // Target keys no ring may take as a decoy: every real input, then each ring's members.
        let mut used: HashSet<CompressedPoint> = HashSet::new();
        for (i, input) in self.inputs.iter().enumerate() {
            if !used.insert(input.tx_out.target_key) {
                return Err(BuildError::DuplicateInput { input: i });
            }
        }
        for (i, input) in self.inputs.iter().enumerate() {
            let owned = input
                .tx_out
                .view(self.account, input.subaddress_index)
                .map_err(|source| BuildError::NotOwned { input: i, source })?;
            if owned.amount.token_id != self.token_id {
                return Err(BuildError::WrongToken { input: i });
            }
            available += owned.amount.value as u128;
            let mut exclude = used.clone();
            exclude.remove(&input.tx_out.target_key);
            let decoys = source.decoys_excluding(&input.tx_out, RING_SIZE - 1, &exclude);
            if decoys.iter().any(|d| exclude.contains(&d.target_key)) {
                return Err(BuildError::BadDecoys { input: i });
            }
            let (ring, real_index) =
                assemble_ring(input.tx_out, decoys).ok_or(BuildError::BadDecoys { input: i })?;
            used.extend(ring.iter().map(|m| m.target_key));
            prepared.push(PreparedInput { ring, real_index, owned });
        }
        prepared.sort_by(|a, b| {
            a.ring.iter().map(|m| m.target_key).cmp(b.ring.iter().map(|m| m.target_key))
        });

        let paid: u128 = self.outputs.iter().map(|o| o.0 as u128).sum::<u128>() + self.fee as u128;
        if available < paid {
            return Err(BuildError::InsufficientFunds { available, needed: paid });
        }
        let change = u64::try_from(available - paid)
            .map_err(|_| BuildError::InsufficientFunds { available, needed: paid })?;
        let change_address = self.account.change_address();
        let mut outs: Vec<(TxOut, u64, RistrettoPrivate)> =
            Vec::with_capacity(self.outputs.len() + 1);
        let requests = self
            .outputs
            .iter()
            .map(|(v, a, m)| (*v, a, m.as_ref()))
            .chain(std::iter::once((change, &change_address, None)));
        for (k, (value, to, memo)) in requests.enumerate() {
            let r = RistrettoPrivate::random(rng);
            let (out, blinding) = TxOut::new(Amount::new(value, self.token_id), to, &r, memo)
                .map_err(|source| BuildError::Output { output: k, source })?;
            outs.push((out, value, blinding));
        }
        outs.sort_by_key(|a| a.0.public_key);
        // Secrets from here on (output openings, blinding sums, pseudo-output blindings) are
        // wiped on every return path: `Openings` and `Zeroizing` zeroize on drop.
        let openings = Openings(outs.iter().map(|(_, v, b)| (*v, *b.scalar())).collect());
        let range_proof = range::prove(&openings.0, self.token_id, rng)?;

        let out_blinding_sum: Zeroizing<Scalar> =
            Zeroizing::new(outs.iter().map(|(_, _, b)| b.scalar()).sum());
        let mut pseudo_blindings: Zeroizing<Vec<Scalar>> =
            Zeroizing::new((1..prepared.len()).map(|_| Scalar::random(rng)).collect());
        let partial: Zeroizing<Scalar> = Zeroizing::new(pseudo_blindings.iter().sum());
        pseudo_blindings.push(*out_blinding_sum - *partial);
        let pseudo_outputs: Vec<CompressedCommitment> = prepared
            .iter()
            .zip(pseudo_blindings.iter())
            .map(|(p, b)| CompressedCommitment::from_point(&commit(p.owned.amount, b)))
            .collect();

        let mut prefix = TxPrefix {
            inputs: prepared.iter().map(|p| TxIn { ring: p.ring.clone() }).collect(),
            outputs: outs.into_iter().map(|(o, _, _)| o).collect(),
            fee: self.fee,
            token_id: self.token_id,
            tombstone_block: self.tombstone_block,
        };
        let (mut pseudo_outputs, mut range_proof) = (pseudo_outputs, range_proof);
        tamper(&mut prefix, &mut pseudo_outputs, &mut range_proof);
        let message = signing_message(&prefix, &pseudo_outputs, &range_proof);
        let mut ring_signatures = Vec::with_capacity(prepared.len());
        for ((p, pb), input) in prepared.iter().zip(pseudo_blindings.iter()).zip(&prefix.inputs) {
            let ring: Vec<RingMember> = input.ring.iter().map(RingMember::from).collect();
            ring_signatures.push(Clsag::sign(
                &message,
                &ring,
                p.real_index,
                &p.owned.onetime_private,
                p.owned.blinding.scalar(),
                pb,
                rng,
            )?);
        }
        Ok(Tx { prefix, signature: TxSignature { pseudo_outputs, ring_signatures, range_proof } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_are_wiped() {
        let mut o = Openings(vec![(7, Scalar::from(9u64)), (u64::MAX, Scalar::ONE)]);
        o.zeroize();
        assert!(o.0.iter().all(|(v, b)| *v == 0 && *b == Scalar::ZERO));
    }
}
