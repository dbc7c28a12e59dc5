//! Quorum sets: the slices a node trusts (SCP paper §3, draft-mazieres-dinrg-scp §2.1).
//!
//! A quorum set `{t, validators, inner_sets}` denotes every slice made of `t` of its entries,
//! where an entry is a validator or (recursively) one slice of an inner set. From it follow the
//! two predicates everything else rests on:
//! - a node set `S` *satisfies a slice* of `q` when at least `t` entries are inside `S`;
//! - a node set `B` is *v-blocking* for `q` when it meets every slice, that is when more than
//!   `entries - t` entries are blocked by `B` (paper Def. 5).
//!
//! Validation follows stellar-core's limits (`QuorumSetUtils.cpp`): nesting depth at most
//! [`MAX_NESTING_DEPTH`] below the top level, 1 to [`MAX_VALIDATORS`] validators in total,
//! `1 <= threshold <= entries` at every level, and no validator named twice anywhere.

use std::collections::BTreeSet;

use mcnode_types::{Decode, DecodeError, Encode, Hash32, NodeId, Reader};

/// Deepest allowed nesting below the top level (stellar-core `MAXIMUM_QUORUM_NESTING_LEVEL`).
pub const MAX_NESTING_DEPTH: u32 = 4;
/// Most validators a quorum set may name in total, over all levels.
pub const MAX_VALIDATORS: usize = 1000;
/// Domain tag of [`QuorumSet::hash`].
pub const QUORUM_SET_HASH_DOMAIN: &[u8] = b"mcnode-scp-qset-v1";

/// A node's quorum set: `threshold` of the entries (`validators` and `inner_sets`, each counting
/// as one entry) must agree for a slice to be satisfied.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct QuorumSet {
    /// How many of the entries must be satisfied.
    pub threshold: u32,
    /// Validators, each one entry.
    pub validators: Vec<NodeId>,
    /// Nested quorum sets, each one entry.
    pub inner_sets: Vec<QuorumSet>,
}

/// Why a quorum set is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuorumSetError {
    /// Nested deeper than [`MAX_NESTING_DEPTH`].
    #[error("quorum set nested {depth} levels deep; at most {max} allowed")]
    TooDeep {
        /// Depth reached.
        depth: u32,
        /// The limit.
        max: u32,
    },
    /// A threshold of zero.
    #[error("threshold is 0 at depth {depth}")]
    ZeroThreshold {
        /// Depth of the offending set (0 = top level).
        depth: u32,
    },
    /// A threshold larger than the number of entries.
    #[error("threshold {threshold} exceeds the {entries} entries at depth {depth}")]
    ThresholdAboveEntries {
        /// Depth of the offending set.
        depth: u32,
        /// The threshold.
        threshold: u32,
        /// Validators plus inner sets at that level.
        entries: usize,
    },
    /// The same validator appears twice.
    #[error("validator {node:?} appears more than once")]
    DuplicateValidator {
        /// The repeated node.
        node: NodeId,
    },
    /// No validators at all, or more than [`MAX_VALIDATORS`].
    #[error("quorum set names {count} validators; must be 1 to {max}")]
    ValidatorCount {
        /// Validators counted over all levels.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// A reason a (valid) local quorum set is unsafe; reported, not enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumSetWarning {
    /// At some level the threshold is not a simple majority (`2t <= entries`): two disjoint
    /// slices fit at that level.
    BelowMajority {
        /// Depth of the level (0 = top).
        depth: u32,
        /// Its threshold.
        threshold: u32,
        /// Its entries.
        entries: usize,
    },
    /// The top-level threshold is below two thirds of the entries (`3t < 2 * entries`), so the
    /// set tolerates fewer Byzantine entries than it could.
    TopBelowTwoThirds {
        /// Top threshold.
        threshold: u32,
        /// Top entries.
        entries: usize,
    },
}

impl QuorumSet {
    /// A quorum set of `threshold` out of `validators`, no inner sets.
    pub fn new(threshold: u32, validators: Vec<NodeId>) -> Self {
        QuorumSet { threshold, validators, inner_sets: Vec::new() }
    }

    /// `{1, [node]}`: the quorum set that the ballot protocol uses for a node that externalized
    /// (stellar-core `buildSingletonQSet`): its word alone is enough for itself.
    pub fn singleton(node: NodeId) -> Self {
        QuorumSet::new(1, vec![node])
    }

    /// Number of entries (validators plus inner sets) at the top level.
    pub fn entries(&self) -> usize {
        self.validators.len() + self.inner_sets.len()
    }

    /// Checks stellar-core's structural limits (see the module docs).
    pub fn validate(&self) -> Result<(), QuorumSetError> {
        let mut seen = BTreeSet::new();
        self.validate_at(0, &mut seen)?;
        if seen.is_empty() || seen.len() > MAX_VALIDATORS {
            return Err(QuorumSetError::ValidatorCount { count: seen.len(), max: MAX_VALIDATORS });
        }
        Ok(())
    }

    fn validate_at(&self, depth: u32, seen: &mut BTreeSet<NodeId>) -> Result<(), QuorumSetError> {
        if depth > MAX_NESTING_DEPTH {
            return Err(QuorumSetError::TooDeep { depth, max: MAX_NESTING_DEPTH });
        }
        if self.threshold == 0 {
            return Err(QuorumSetError::ZeroThreshold { depth });
        }
        if self.threshold as usize > self.entries() {
            return Err(QuorumSetError::ThresholdAboveEntries {
                depth,
                threshold: self.threshold,
                entries: self.entries(),
            });
        }
        for v in &self.validators {
            if !seen.insert(*v) {
                return Err(QuorumSetError::DuplicateValidator { node: *v });
            }
            if seen.len() > MAX_VALIDATORS {
                return Err(QuorumSetError::ValidatorCount {
                    count: seen.len(),
                    max: MAX_VALIDATORS,
                });
            }
        }
        for inner in &self.inner_sets {
            inner.validate_at(depth + 1, seen)?;
        }
        Ok(())
    }

    /// Safety warnings for a node's own quorum set: thresholds below a simple majority at any
    /// level, or below two thirds at the top (stellar-core refuses such local sets unless
    /// `UNSAFE_QUORUM` is set; we report and let the operator decide).
    pub fn sanity_warnings(&self) -> Vec<QuorumSetWarning> {
        let mut out = Vec::new();
        if 3 * (self.threshold as usize) < 2 * self.entries() {
            out.push(QuorumSetWarning::TopBelowTwoThirds {
                threshold: self.threshold,
                entries: self.entries(),
            });
        }
        self.majority_warnings(0, &mut out);
        out
    }

    fn majority_warnings(&self, depth: u32, out: &mut Vec<QuorumSetWarning>) {
        if 2 * (self.threshold as usize) <= self.entries() {
            out.push(QuorumSetWarning::BelowMajority {
                depth,
                threshold: self.threshold,
                entries: self.entries(),
            });
        }
        for inner in &self.inner_sets {
            inner.majority_warnings(depth + 1, out);
        }
    }

    /// The stable hash of this quorum set: domain-separated SHA-256 of its canonical encoding.
    /// Statements carry it instead of the whole set.
    pub fn hash(&self) -> Hash32 {
        Hash32::of(QUORUM_SET_HASH_DOMAIN, self)
    }

    /// Every validator named at any level.
    pub fn nodes(&self) -> BTreeSet<NodeId> {
        let mut out = BTreeSet::new();
        self.collect_nodes(&mut out);
        out
    }

    fn collect_nodes(&self, out: &mut BTreeSet<NodeId>) {
        out.extend(self.validators.iter().copied());
        for inner in &self.inner_sets {
            inner.collect_nodes(out);
        }
    }

    /// Whether the nodes for which `member` is true contain one of this set's slices.
    pub fn is_slice_satisfied(&self, member: &impl Fn(&NodeId) -> bool) -> bool {
        let mut left = self.threshold as usize;
        if left == 0 {
            return true;
        }
        for v in &self.validators {
            if member(v) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
        }
        for inner in &self.inner_sets {
            if inner.is_slice_satisfied(member) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
        }
        false
    }

    /// Whether the nodes for which `member` is true meet every slice of this set
    /// (paper Def. 5). A set with threshold 0 has the empty slice and no v-blocking set.
    pub fn is_v_blocking(&self, member: &impl Fn(&NodeId) -> bool) -> bool {
        if self.threshold == 0 {
            return false;
        }
        // Blocking needs entries - threshold + 1 blocked entries.
        let mut left = (self.entries() + 1).saturating_sub(self.threshold as usize);
        if left == 0 {
            // threshold > entries (an unvalidated set): no slice exists, so even the empty set
            // blocks it. Returning here also keeps `left -= 1` from underflowing.
            return true;
        }
        for v in &self.validators {
            if member(v) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
        }
        for inner in &self.inner_sets {
            if inner.is_v_blocking(member) {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
        }
        false
    }

    /// The leader-selection weight of `node` in this set as a fraction of `u64::MAX`: at each
    /// level from the top down to the entry naming `node`, multiply by `threshold / entries`
    /// (rounded up; stellar-core `getNodeWeight`, draft §2.2.1 "weight"). Zero when absent.
    /// The local node's own weight is `u64::MAX` and is not computed here.
    pub fn node_weight(&self, node: &NodeId) -> u64 {
        let n = self.threshold as u128;
        let d = self.entries() as u128;
        if d == 0 {
            return 0;
        }
        let scale = |w: u64| -> u64 {
            // threshold <= entries, so the result is at most w and fits.
            let r = (w as u128 * n).div_ceil(d);
            u64::try_from(r).unwrap_or(u64::MAX)
        };
        if self.validators.contains(node) {
            return scale(u64::MAX);
        }
        for inner in &self.inner_sets {
            let w = inner.node_weight(node);
            if w > 0 {
                return scale(w);
            }
        }
        0
    }

    /// Decodes with an explicit depth, refusing input nested deeper than the validation limit
    /// (so a forged message cannot exhaust the stack).
    fn decode_at(r: &mut Reader<'_>, depth: u32) -> Result<Self, DecodeError> {
        if depth > MAX_NESTING_DEPTH {
            return Err(DecodeError::Invalid {
                what: "quorum set",
                reason: "nested deeper than the limit",
            });
        }
        let threshold = u32::decode(r)?;
        let validators = r.seq::<NodeId>(MAX_VALIDATORS as u32)?;
        let n = r.seq_len(MAX_VALIDATORS as u32)?;
        let mut inner_sets = Vec::with_capacity(n.min(r.remaining()));
        for _ in 0..n {
            inner_sets.push(QuorumSet::decode_at(r, depth + 1)?);
        }
        Ok(QuorumSet { threshold, validators, inner_sets })
    }
}

/// The largest quorum inside `candidates` (paper Def. 3: every member has a slice inside
/// it), found by the fixpoint of stellar-core `LocalNode::isQuorum`: repeatedly drop every
/// node whose quorum set (`None`: unknown, so dropped) has no slice among the survivors.
/// Quorums are closed under union, so the survivors are the union of all quorums inside
/// `candidates`; empty when there is none.
pub fn largest_quorum_within<'a>(
    candidates: &BTreeSet<NodeId>,
    qset_of: impl Fn(&NodeId) -> Option<&'a QuorumSet>,
) -> BTreeSet<NodeId> {
    use crate::compiled::{Compiled, NodeIndex, largest_quorum};
    let mut index = NodeIndex::default();
    let compiled: Vec<(NodeId, u32, Option<Compiled>)> = candidates
        .iter()
        .map(|n| (*n, index.index(*n), qset_of(n).map(|q| Compiled::compile(q, &mut index))))
        .collect();
    let quorum = largest_quorum(compiled.iter().map(|(_, i, q)| (*i, q.as_ref())).collect());
    compiled.iter().filter(|(_, i, _)| quorum.contains(*i)).map(|(n, _, _)| *n).collect()
}

impl Encode for QuorumSet {
    fn encode(&self, out: &mut Vec<u8>) {
        self.threshold.encode(out);
        self.validators.encode(out);
        self.inner_sets.encode(out);
    }
}

impl Decode for QuorumSet {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        QuorumSet::decode_at(r, 0)
    }
}
