//! Quorum sets: the slices a node trusts (SCP paper §3, draft-mazieres-dinrg-scp §2).

use mcnode_types::NodeId;

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
