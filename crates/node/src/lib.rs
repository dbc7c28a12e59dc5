//! `mcnode-node`: the networked validator. A deterministic, sans-io engine (transaction pool,
//! block cadence, SCP driving, relay, rebroadcast, catch-up) with time passed in, and the tokio
//! runtime that drives it in production.
//!
//! This crate is being built (see the project's issues); nothing in it runs a node yet.
//! - [`admin`]: the admin HTTP surface (`/info`, `/quorum`, `/scp`, `/blocks`, `/metrics`,
//!   `/health`, `/log-level`) over a status source the runtime fills.
//! - [`config`]: the node's TOML configuration, its overrides and checks, and key files.
//! - [`engine`]: the sans-io engine (pool, cadence, signed SCP envelopes, relay, rebroadcast,
//!   catch-up, restart).

pub mod admin;
pub mod config;
pub mod engine;
