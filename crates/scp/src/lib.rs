//! A pure implementation of the Stellar Consensus Protocol (SCP).
//!
//! No clock, no randomness, no threads, no sockets: the caller passes time in and takes
//! messages, timers and externalized values out.

pub mod quorum_set;

pub use quorum_set::QuorumSet;
