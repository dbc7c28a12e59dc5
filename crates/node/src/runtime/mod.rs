//! The tokio runtime that drives a validator: the engine behind an actor, the enclave behind
//! a dedicated thread, the durable ledger, the persisted last own SCP statements, peer
//! connections and the client, peer and admin servers.
//!
//! Modules that need nothing but the standard library and tokio:
//! - [`enclave_worker`]: enclave calls on their own thread; a dead enclave is fatal.
//! - [`persist`]: the last own statements, written atomically (temp + fsync + rename).
//! - [`backoff`]: reconnect delays with caller-supplied jitter.

pub mod backoff;
pub mod enclave_worker;
pub mod persist;
