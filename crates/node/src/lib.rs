//! `mcnode-node`: the networked validator. A deterministic, sans-io engine (transaction pool,
//! block cadence, SCP driving, relay, rebroadcast, catch-up) with time passed in, and the tokio
//! runtime that drives it in production.

pub mod config;
pub mod engine;
pub mod runtime;
