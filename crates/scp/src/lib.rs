//! A pure implementation of the Stellar Consensus Protocol (SCP): the SCP paper (Mazières
//! 2015) and draft-mazieres-dinrg-scp, checked against stellar-core's `src/scp` behaviour.
//!
//! # What it guarantees
//! - **No I/O.** No clock, no randomness, no threads, no sockets. Every input carries `now`
//!   ([`Time`]); outputs ([`Output`]: statements to sign and send, timers to arm or cancel,
//!   externalized values) queue up and are taken with [`Node::poll_output`]. Same inputs, same
//!   outputs — which is what the [`record`] decorator checks bit for bit.
//! - **Externalize at most once per slot**, and a node never emits two statements of one
//!   protocol for a slot where the later is not "newer" than the earlier.
//! - **Rejected input changes nothing.** A malformed ([`StatementError::Sanity`]), older or
//!   duplicate ([`StatementError::NotNewer`]), invalid-valued or otherwise refused statement
//!   comes back as a typed error and leaves the node exactly as it was.
//!
//! # Pieces
//! - [`QuorumSet`]: validation with stellar-core's limits, safety warnings, stable hash,
//!   slice / v-blocking predicates, leader weights, and [`largest_quorum_within`] (the quorum
//!   fixpoint the node itself uses).
//! - [`Statement`] / [`Pledge`]: NOMINATE, PREPARE, CONFIRM, EXTERNALIZE with a canonical
//!   encoding (the node layer signs it), sanity checks and the "newer" order.
//! - [`Node`]: nomination (leaders by priority hashing, rounds with growing timeouts, combine
//!   via the caller's [`Driver`]) and the ballot protocol (accept/confirm prepared and commit,
//!   the counter jump, the ballot timer), over any number of slots.
//! - [`TxHashSet`] and [`TxSetDriver`]: the value type the node and the simulator use (sorted
//!   sets of transaction hashes, combined by a capped union; cheap to clone and compare,
//!   which the core does constantly — see BENCHMARKS.md).
//! - [`fuzzing`]: the entry points of the fuzz targets.
//! - [`record`]: a decorator that logs every input, every answer of the driver and every
//!   output, and a replayer that checks a log reproduces exactly.
//!
//! # Driving a node
//! 1. Build one [`Node`] per participant with [`Node::new`]`(id, quorum_set, config, driver)`
//!    and register the peers' quorum sets with [`Node::add_quorum_set`].
//! 2. Feed it: [`Node::nominate`] to propose a value for a slot, [`Node::handle_statement`]
//!    for every authenticated statement from a peer, [`Node::handle_timeouts`] when a timer's
//!    deadline passes. After a restart, first hand it its own last statements with
//!    [`Node::restore`]. ([`Node::bump_ballot`] starts balloting without nomination.)
//! 3. After each input drain [`Node::poll_output`]: sign and broadcast each
//!    [`Output::Emit`], arm timers for [`Output::SetTimer`], apply [`Output::Externalized`].
//!
//! # Tutorial: three nodes by hand
//! Three validators, each trusting 2 of the 3. We pass every emitted statement to the other
//! two nodes until nobody has anything more to say; all three externalize the same value.
//! ```
//! use mcnode_scp::{Node, Output, QuorumSet, ScpConfig, Time, TxHashSet, TxSetDriver};
//! use mcnode_types::{Hash32, NodeId};
//!
//! let ids: Vec<NodeId> = (1..=3u8).map(|i| NodeId([i; 32])).collect();
//! let qset = QuorumSet::new(2, ids.clone());
//! let mut nodes: Vec<Node<TxHashSet, TxSetDriver>> = ids
//!     .iter()
//!     .map(|id| {
//!         Node::new(*id, qset.clone(), ScpConfig::default(), TxSetDriver { max_values: 100 })
//!             .unwrap()
//!     })
//!     .collect();
//!
//! // Every node proposes its own transaction for slot 1.
//! let now = Time::from_millis(0);
//! for (i, node) in nodes.iter_mut().enumerate() {
//!     let tx = TxHashSet::from_hashes([Hash32([10 + i as u8; 32])]);
//!     node.nominate(now, 1, tx, Hash32::ZERO).unwrap();
//! }
//!
//! // Deliver messages until the network is quiet.
//! let mut decided = vec![None; 3];
//! loop {
//!     let mut mail = Vec::new();
//!     for (i, node) in nodes.iter_mut().enumerate() {
//!         while let Some(out) = node.poll_output() {
//!             match out {
//!                 Output::Emit(st) => mail.push((i, st)),
//!                 Output::Externalized { value, .. } => decided[i] = Some(value),
//!                 Output::SetTimer { .. } | Output::CancelTimer { .. } => {}
//!             }
//!         }
//!     }
//!     if mail.is_empty() {
//!         break;
//!     }
//!     for (from, st) in mail {
//!         for (to, node) in nodes.iter_mut().enumerate() {
//!             if to != from {
//!                 node.handle_statement(now, st.clone()).unwrap();
//!             }
//!         }
//!     }
//! }
//! assert!(decided[0].is_some());
//! assert!(decided.iter().all(|d| *d == decided[0]));
//! ```

mod ballot;
mod ballot_steps;
mod compiled;
mod config;
mod context;
mod driver;
mod federated;
pub mod fuzzing;
mod node;
mod nomination;
pub mod quorum_set;
pub mod record;
mod slot;
mod statement;
mod value;

pub use config::{MAX_TIMEOUT_CEILING, ScpConfig, ScpConfigError, Time};
pub use driver::{Driver, Validity, Value};
pub use node::{
    Node, NominateError, Output, Phase, RestoreError, SlotInfo, StatementError, TimerId, TimerKind,
};
pub use nomination::{NEIGHBOR_DOMAIN, PRIORITY_DOMAIN, VALUE_DOMAIN, priority_hash};
pub use quorum_set::{QuorumSet, QuorumSetError, QuorumSetWarning, largest_quorum_within};
pub use statement::{
    Ballot, Confirm, Externalize, MAX_NOMINATION_VALUES, Nominate, Pledge, Prepare, SanityError,
    Statement,
};
pub use value::{MAX_TX_HASHES, TX_SET_DIGEST_DOMAIN, TxHashSet, TxSetDriver};
