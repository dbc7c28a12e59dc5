//! Aggregated range proofs over a transaction's output commitments, and batch verification.
//!
//! Rule (RingCT; MobileCoin `mc-transaction-core` range proofs): every output commitment hides
//! a value in `[0, 2^64)`, so that the balance equation cannot be satisfied by a "negative"
//! output (values are taken mod ℓ ≈ 2^252, and at most 16 outputs of < 2^64 cannot wrap).
//! Pseudo-outputs need no range proof: the ring signature proves each commits to the same value
//! as a ledger output, which was range-proven when it was created.
//!
//! Construction: one Bulletproofs+ proof (`tari_bulletproofs_plus` 0.5; Chung, Han, Ju, Kim,
//! Seo, "Bulletproofs+", ePrint 2020/735) per transaction over all its outputs, with value
//! generator `H_t` of the transaction's token and blinding generator `G`, so the proven
//! commitments are exactly the outputs' `v·H_t + s·G`. The aggregation size is the next power
//! of two `≥ #outputs`; padding commitments are the identity (value 0, blinding 0), which the
//! verifier adds itself. Parameters are built once per (token, aggregation size) and cloned, so
//! all statements of a batch share precomputation tables.
//! Transcript label: [`mcnode_crypto::domain::RANGE_PROOF_TRANSCRIPT`].

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use curve25519_dalek::{
    RistrettoPoint, Scalar, constants::RISTRETTO_BASEPOINT_COMPRESSED,
    constants::RISTRETTO_BASEPOINT_POINT, ristretto::CompressedRistretto, traits::Identity,
};
use mcnode_crypto::{CryptoRng, domain};
use tari_bulletproofs_plus::{
    PedersenGens,
    commitment_opening::CommitmentOpening,
    generators::pedersen_gens::ExtensionDegree,
    range_parameters::RangeParameters,
    range_proof::{RangeProof, VerifyAction},
    range_statement::RangeStatement,
    range_witness::RangeWitness,
};
use tari_merlin::Transcript;

use crate::TokenId;
use crate::amount::{CompressedCommitment, value_generator};

/// Bits proven per value.
pub const RANGE_BITS: usize = 64;
/// Most commitments in one aggregated proof (= most outputs per transaction).
pub const MAX_AGGREGATION: usize = 16;
/// Largest encoded proof a decoder accepts (a 16-output proof is 32·(6 + 2·10) = 832 bytes + 1).
pub const MAX_PROOF_BYTES: u32 = 1024;

/// Why a range proof could not be made or does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeProofError {
    /// Zero, or more than [`MAX_AGGREGATION`], commitments.
    #[error("range proof over {count} commitments; allowed 1..={MAX_AGGREGATION}")]
    BadCount {
        /// Commitments given.
        count: usize,
    },
    /// A commitment is not a valid point.
    #[error("commitment is not a valid point")]
    InvalidCommitment,
    /// The proof bytes do not parse.
    #[error("range proof bytes are malformed")]
    Malformed,
    /// The proof (or a batch containing it) does not verify.
    #[error("range proof does not verify")]
    Invalid,
    /// The library refused the inputs (a bug on our side if it happens).
    #[error("range proof library rejected the statement")]
    Library,
}

/// The parameters for `(token, aggregation size)`, built once per process.
fn parameters(
    token: TokenId,
    agg: usize,
) -> Result<RangeParameters<RistrettoPoint>, RangeProofError> {
    type Cache = Mutex<HashMap<(TokenId, usize), RangeParameters<RistrettoPoint>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.lock()
        && let Some(p) = map.get(&(token, agg))
    {
        return Ok(p.clone());
    }
    let h = value_generator(token);
    let gens = PedersenGens {
        h_base: h,
        h_base_compressed: h.compress(),
        g_base_vec: vec![RISTRETTO_BASEPOINT_POINT],
        g_base_compressed_vec: vec![RISTRETTO_BASEPOINT_COMPRESSED],
        extension_degree: ExtensionDegree::DefaultPedersen,
    };
    let p = RangeParameters::init(RANGE_BITS, agg, gens).map_err(|_| RangeProofError::Library)?;
    if let Ok(mut map) = cache.lock() {
        map.entry((token, agg)).or_insert_with(|| p.clone());
    }
    Ok(p)
}

fn aggregation_size(n: usize) -> Result<usize, RangeProofError> {
    if n == 0 || n > MAX_AGGREGATION {
        return Err(RangeProofError::BadCount { count: n });
    }
    Ok(n.next_power_of_two())
}

/// Proves that each `(value, blinding)` commits (as `v·H_t + s·G`) to a 64-bit value.
/// Returns the proof bytes.
pub fn prove<R: CryptoRng>(
    openings: &[(u64, Scalar)],
    token: TokenId,
    rng: &mut R,
) -> Result<Vec<u8>, RangeProofError> {
    let agg = aggregation_size(openings.len())?;
    let params = parameters(token, agg)?;
    let h = value_generator(token);
    let mut commitments = Vec::with_capacity(agg);
    let mut witness = Vec::with_capacity(agg);
    for (v, s) in openings {
        commitments.push(h * Scalar::from(*v) + RISTRETTO_BASEPOINT_POINT * s);
        witness.push(CommitmentOpening::new(*v, vec![*s]));
    }
    for _ in openings.len()..agg {
        commitments.push(RistrettoPoint::identity());
        witness.push(CommitmentOpening::new(0, vec![Scalar::ZERO]));
    }
    let statement = RangeStatement::init(params, commitments, vec![None; agg], None)
        .map_err(|_| RangeProofError::Library)?;
    let witness = RangeWitness::init(witness).map_err(|_| RangeProofError::Library)?;
    let mut t = Transcript::new(domain::RANGE_PROOF_TRANSCRIPT.as_bytes());
    let proof = RangeProof::prove_with_rng(&mut t, &statement, &witness, rng)
        .map_err(|_| RangeProofError::Library)?;
    Ok(proof.to_bytes())
}

/// A proof ready to verify: the parsed proof and its padded commitments. The generator tables
/// (about 40 kB for a 2-output proof) are not held here: a batch verification clones them from
/// the process-wide parameters only for the statements it is about to check, so preparing a
/// block's worth of proofs does not copy the tables once per proof and keep them all alive.
pub struct PreparedRangeProof {
    key: (TokenId, usize),
    commitments: Vec<RistrettoPoint>,
    compressed: Vec<CompressedRistretto>,
    proof: RangeProof<RistrettoPoint>,
}

impl PreparedRangeProof {
    /// Parses `proof` as a proof over `commitments` (of token `token`).
    pub fn new(
        commitments: &[CompressedCommitment],
        token: TokenId,
        proof: &[u8],
    ) -> Result<Self, RangeProofError> {
        let mut points = Vec::with_capacity(commitments.len());
        for c in commitments {
            points.push(c.0.decompress().map_err(|_| RangeProofError::InvalidCommitment)?);
        }
        Self::with_points(commitments, &points, token, proof)
    }

    /// As [`Self::new`] when the caller already decompressed the commitments (`points[i]` must
    /// be `commitments[i]` decompressed; validation gets them from the balance check).
    pub fn with_points(
        commitments: &[CompressedCommitment],
        points: &[RistrettoPoint],
        token: TokenId,
        proof: &[u8],
    ) -> Result<Self, RangeProofError> {
        let agg = aggregation_size(commitments.len())?;
        if points.len() != commitments.len() {
            return Err(RangeProofError::BadCount { count: points.len() });
        }
        let mut points = points.to_vec();
        points.resize(agg, RistrettoPoint::identity());
        let mut compressed: Vec<_> = commitments.iter().map(|c| c.0.to_dalek()).collect();
        compressed.resize(agg, RistrettoPoint::identity().compress());
        let proof = RangeProof::from_bytes(proof).map_err(|_| RangeProofError::Malformed)?;
        if proof.extension_degree() != ExtensionDegree::DefaultPedersen {
            return Err(RangeProofError::Malformed);
        }
        Ok(PreparedRangeProof { key: (token, agg), commitments: points, compressed, proof })
    }

    /// The statement (with `generators`, the parameters of its token and size) and the proof.
    // Built field by field: `RangeStatement::init` would compress every commitment again,
    // and the checks it makes (power-of-two count within the parameters, no seed nonce with
    // aggregation) hold by construction here.
    fn into_parts(
        self,
        generators: RangeParameters<RistrettoPoint>,
    ) -> (RangeStatement<RistrettoPoint>, RangeProof<RistrettoPoint>) {
        let agg = self.key.1;
        let statement = RangeStatement {
            generators,
            commitments: self.commitments,
            commitments_compressed: self.compressed,
            minimum_value_promises: vec![None; agg],
            seed_nonce: None,
        };
        (statement, self.proof)
    }

    fn parts(
        &self,
        generators: RangeParameters<RistrettoPoint>,
    ) -> (RangeStatement<RistrettoPoint>, RangeProof<RistrettoPoint>) {
        PreparedRangeProof {
            key: self.key,
            commitments: self.commitments.clone(),
            compressed: self.compressed.clone(),
            proof: self.proof.clone(),
        }
        .into_parts(generators)
    }

    /// Verifies this proof alone.
    pub fn verify(&self) -> Result<(), RangeProofError> {
        verify_prepared(std::slice::from_ref(self))
    }
}

/// Verifies many prepared proofs together. Proofs are grouped by (token, aggregation size);
/// each group is one Bulletproofs+ batch verification (one multiscalar multiplication). Fails
/// if any proof is invalid, without saying which.
pub fn verify_prepared(proofs: &[PreparedRangeProof]) -> Result<(), RangeProofError> {
    let refs: Vec<&PreparedRangeProof> = proofs.iter().collect();
    verify_prepared_refs(&refs)
}

/// [`verify_prepared`] over references.
pub fn verify_prepared_refs(proofs: &[&PreparedRangeProof]) -> Result<(), RangeProofError> {
    let mut groups: HashMap<(TokenId, usize), Vec<&PreparedRangeProof>> = HashMap::new();
    for p in proofs {
        groups.entry(p.key).or_default().push(*p);
    }
    for (&(token, agg), group) in &groups {
        let params = parameters(token, agg)?;
        let (statements, parsed): (Vec<_>, Vec<_>) =
            group.iter().map(|p| p.parts(params.clone())).unzip();
        if !verify_group(&statements, &parsed) {
            return Err(RangeProofError::Invalid);
        }
    }
    Ok(())
}

/// One Bulletproofs+ batch verification of statements sharing one parameter set.
fn verify_group(
    statements: &[RangeStatement<RistrettoPoint>],
    proofs: &[RangeProof<RistrettoPoint>],
) -> bool {
    let mut transcripts: Vec<Transcript> = statements
        .iter()
        .map(|_| Transcript::new(domain::RANGE_PROOF_TRANSCRIPT.as_bytes()))
        .collect();
    RangeProof::verify_batch(&mut transcripts, statements, proofs, VerifyAction::VerifyOnly).is_ok()
}

/// Verifies many prepared proofs, consuming them, and names the invalid ones: `result[i]` is
/// proof `i`'s verdict. Each (token, aggregation size) group is batch verified; only a group
/// that fails is re-verified proof by proof.
pub fn verify_each(proofs: Vec<PreparedRangeProof>) -> Vec<Result<(), RangeProofError>> {
    let mut results = vec![Ok(()); proofs.len()];
    let mut groups: HashMap<(TokenId, usize), Vec<(usize, PreparedRangeProof)>> = HashMap::new();
    for (i, p) in proofs.into_iter().enumerate() {
        groups.entry(p.key).or_default().push((i, p));
    }
    for ((token, agg), members) in groups {
        let Ok(params) = parameters(token, agg) else {
            for (i, _) in members {
                results[i] = Err(RangeProofError::Library);
            }
            continue;
        };
        let mut indices = Vec::with_capacity(members.len());
        let mut statements = Vec::with_capacity(members.len());
        let mut parsed = Vec::with_capacity(members.len());
        for (i, p) in members {
            let (statement, proof) = p.into_parts(params.clone());
            indices.push(i);
            statements.push(statement);
            parsed.push(proof);
        }
        if verify_group(&statements, &parsed) {
            continue;
        }
        for (k, &i) in indices.iter().enumerate() {
            if !verify_group(&statements[k..k + 1], &parsed[k..k + 1]) {
                results[i] = Err(RangeProofError::Invalid);
            }
        }
    }
    results
}

/// Proofs of one (token, aggregation size) laid out for repeated batch verification without
/// copying (benchmarks measure the pure verification cost with it).
pub struct RangeBatch {
    statements: Vec<RangeStatement<RistrettoPoint>>,
    proofs: Vec<RangeProof<RistrettoPoint>>,
}

impl RangeBatch {
    /// Groups `proofs`; `None` if they are empty or not all of one token and size.
    pub fn new(proofs: Vec<PreparedRangeProof>) -> Option<Self> {
        let key = proofs.first()?.key;
        if proofs.iter().any(|p| p.key != key) {
            return None;
        }
        let params = parameters(key.0, key.1).ok()?;
        let (statements, proofs) = proofs.into_iter().map(|p| p.into_parts(params.clone())).unzip();
        Some(RangeBatch { statements, proofs })
    }

    /// Number of proofs.
    pub fn len(&self) -> usize {
        self.proofs.len()
    }

    /// Whether there are no proofs (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.proofs.is_empty()
    }

    /// One batch verification of all proofs.
    pub fn verify(&self) -> Result<(), RangeProofError> {
        if verify_group(&self.statements, &self.proofs) {
            Ok(())
        } else {
            Err(RangeProofError::Invalid)
        }
    }
}

/// Parses and verifies one proof.
pub fn verify(
    commitments: &[CompressedCommitment],
    token: TokenId,
    proof: &[u8],
) -> Result<(), RangeProofError> {
    PreparedRangeProof::new(commitments, token, proof)?.verify()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::{Amount, commit};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn commitments(openings: &[(u64, Scalar)], token: TokenId) -> Vec<CompressedCommitment> {
        openings
            .iter()
            .map(|(v, s)| CompressedCommitment::from_point(&commit(Amount::new(*v, token), s)))
            .collect()
    }

    #[test]
    fn proves_verifies_and_batches_with_padding() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let t = TokenId(0);
        let o3: Vec<(u64, Scalar)> =
            (0..3).map(|i| (u64::MAX - i, Scalar::random(&mut rng))).collect();
        let p3 = prove(&o3, t, &mut rng).unwrap();
        verify(&commitments(&o3, t), t, &p3).unwrap();
        let o1 = vec![(5u64, Scalar::random(&mut rng))];
        let p1 = prove(&o1, t, &mut rng).unwrap();
        let batch = vec![
            PreparedRangeProof::new(&commitments(&o3, t), t, &p3).unwrap(),
            PreparedRangeProof::new(&commitments(&o1, t), t, &p1).unwrap(),
        ];
        verify_prepared(&batch).unwrap();
        // The proof is bound to its commitments and token.
        let wrong = commitments(&[(6, o1[0].1)], t);
        assert_eq!(verify(&wrong, t, &p1), Err(RangeProofError::Invalid));
        assert_eq!(
            verify(&commitments(&o1, TokenId(1)), TokenId(1), &p1),
            Err(RangeProofError::Invalid)
        );
        let mut bad = batch;
        bad.push(PreparedRangeProof::new(&wrong, t, &p1).unwrap());
        assert_eq!(verify_prepared(&bad), Err(RangeProofError::Invalid));
        assert_eq!(verify(&commitments(&o1, t), t, &p1[..10]), Err(RangeProofError::Malformed));
        assert_eq!(prove(&[], t, &mut rng), Err(RangeProofError::BadCount { count: 0 }));
    }

    #[test]
    fn a_negative_value_cannot_be_proven_in_a_commitment() {
        // Commit to −1 (= ℓ − 1): the prover can only claim a u64, so the proof is for another
        // commitment and fails against this one.
        let mut rng = ChaCha20Rng::seed_from_u64(22);
        let t = TokenId(0);
        let s = Scalar::random(&mut rng);
        let neg = CompressedCommitment::from_point(
            &(value_generator(t) * -Scalar::ONE + RISTRETTO_BASEPOINT_POINT * s),
        );
        let p = prove(&[(u64::MAX, s)], t, &mut rng).unwrap();
        assert_eq!(verify(&[neg], t, &p), Err(RangeProofError::Invalid));
    }
}
