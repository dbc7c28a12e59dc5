//! `mcnode-node`: the networked validator. A deterministic, sans-io engine (transaction pool,
//! block cadence, SCP driving, relay, rebroadcast, catch-up) with time passed in, and the tokio
//! runtime that drives it in production.
//!
//! [`config`]: the node's TOML configuration, its overrides and checks, and key files;
//! [`engine`]: the sans-io engine; [`runtime`]: the tokio runtime (`mcnode run`); [`admin`]:
//! the admin HTTP service over a status snapshot.

pub mod admin;
pub mod config;
pub mod engine;
pub mod runtime;
