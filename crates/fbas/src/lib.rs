//! Quorum-set analysis for federated Byzantine agreement systems (FBAS): the checks an operator
//! runs before trusting a configuration, and that the node runs at start-up and on every
//! configuration change.
//!
//! What it answers (definitions from the SCP paper §3 and fbas_analyzer, cited per module):
//! - [`check_intersection`]: does every pair of quorums share a node? If not, two disjoint
//!   quorums as proof. Also which nodes are in no quorum at all.
//! - [`quorums::minimal_quorums`]: how many minimal quorums, their sizes, and the top tier.
//! - [`minimal_blocking_sets`]: which groups of nodes, if they stop, halt everyone.
//! - [`minimal_splitting_sets`]: which groups, if they lie, can fork correct nodes.
//!
//! Every result is exact (checked against a brute-force oracle on all small networks in the
//! property tests) unless it says `complete: false`, which happens only when a caller-given
//! [`Budget`] runs out. Input comes as stellarbeat JSON ([`input`]) or as SCP quorum sets
//! ([`Fbas::from_quorum_sets`]); malformed input is rejected with an error naming the node and
//! the problem, never a panic.
//!
//! The node's start-up check:
//! ```
//! use mcnode_fbas::{Fbas, check_intersection};
//! use mcnode_scp::QuorumSet;
//! use mcnode_types::NodeId;
//!
//! let ids: Vec<NodeId> = (0..4u8).map(|i| NodeId([i; 32])).collect();
//! let qset = QuorumSet { threshold: 3, validators: ids.clone(), inner_sets: vec![] };
//! let fbas = Fbas::from_quorum_sets(ids.iter().map(|&id| (id, Some(qset.clone()))))?;
//! let verdict = check_intersection(&fbas)?;
//! assert!(verdict.intersects && verdict.has_quorum);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod blocking;
pub mod fbas;
pub mod fuzzing;
pub mod groups;
pub mod input;
pub mod intersection;
mod nodeset;
pub mod quorums;
mod sat;
pub mod splitting;
pub mod synthetic;

pub use blocking::{SetFamily, minimal_blocking_sets};
pub use fbas::{BuildError, Fbas, QSet};
pub use groups::Grouping;
pub use input::InputError;
pub use intersection::{Intersection, check_intersection};
pub use nodeset::NodeSet;
pub use quorums::{Budget, MinimalQuorums};
pub use sat::SolverGaveUp;
pub use splitting::minimal_splitting_sets;
