//! `mcnode-sim`: a deterministic discrete-event simulator for whole networks of mcnode
//! validators.
//!
//! # What it does
//! Runs the node's real engine ([`mcnode_node::engine::Engine`]: pool, block cadence, signed
//! envelopes, flooding, relay, body fetching, re-broadcast, catch-up, restart) for every node,
//! on virtual time over simulated links with latency ranges, loss and partitions, through a
//! simulated enclave whose transactions are 32-byte hashes ([`enclave`]); crashes and restarts
//! nodes (a restarted engine restores its persisted statements); plays Byzantine nodes
//! (`silent`, `equivocate`, `conflicting-values`, `replay`, `garbage`, `lying-sync`) that lie
//! on every path they reach, counts their lies and what honest engines did with each
//! ([`byzantine`]); says which honest nodes theory protects past the tolerance limit
//! ([`theory`]); and submits values at a configurable rate.
//!
//! # What it guarantees
//! - **Reproducible**: all randomness comes from one seeded generator ([`rng::SimRng`]) and
//!   events at equal virtual times run in scheduling order, so a seed reproduces a run bit for
//!   bit; [`Report::digest`] (a digest over every processed event) shows it.
//! - **Checked**: agreement, validity and "no value externalized twice" are checked every time
//!   an honest ledger grows, and the run stops at the first violation with the seed, slot,
//!   nodes and their last messages ([`Violation`]); liveness is judged at the end.
//! - **No panics on input**: scenario and topology files are parsed strictly into typed errors
//!   ([`ScenarioError`], [`TopologyError`]).
//!
//! # Use
//! ```
//! use mcnode_sim::{SimConfig, Topology, run};
//! let topo = Topology::generate("mesh:4:3").unwrap().unwrap();
//! let report = run(SimConfig::quick(topo, 300, 100, 7));
//! assert!(report.agreement && report.liveness);
//! assert_eq!(report.values_externalized, 300);
//! ```

pub mod byzantine;
pub mod driver;
pub mod enclave;
mod engine;
mod faults;
pub mod fuzzing;
mod lifecycle;
mod node;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod theory;
pub mod topology;

pub use byzantine::Behaviour;
pub use engine::{Progress, Sim};
pub use report::{Report, Violation};
pub use scenario::{
    Fault, FaultKind, Overlay, ScenarioError, SimConfig, Submit, load_scenario, load_topology,
    parse_scenario,
};
pub use topology::{NodeSpec, Topology, TopologyError};

/// Runs `cfg` to the end without progress reports.
pub fn run(cfg: SimConfig) -> Report {
    Sim::new(cfg).run(&mut |_| {})
}
