//! The tokio runtime that drives a validator (`mcnode run`): the engine behind an actor
//! ([`actor`]), the enclave behind a dedicated thread ([`enclave_worker`]), the durable ledger
//! ([`ledger`]), the persisted last own SCP statements ([`persist`]), outgoing peer
//! connections with the attested handshake ([`peers`]), the peer and client gRPC servers
//! ([`peer_service`], [`client_service`]), the admin endpoint's data ([`status_source`],
//! served by [`crate::admin`]), publishing blocks to an archive when configured
//! ([`archive_publish`]), and start-up and shutdown ([`start`]).
//!
//! Guarantees: the engine sees time only through [`clock::Clock`]; enclave and ledger calls
//! never block the async workers; a dead enclave or a failed ledger or statements write stops
//! the node with an error saying which; SIGTERM/SIGINT stop it between ledger transactions
//! (exit 0, no torn ledger).

pub mod actor;
pub mod admit;
pub mod archive_publish;
pub mod backoff;
pub mod byzantine;
pub mod client_service;
pub mod clock;
pub mod enclave_worker;
pub mod fetch;
pub mod ledger;
pub mod peer_service;
pub mod peers;
pub mod persist;
pub mod results;
pub mod same_tx;
pub mod services;
pub mod start;
pub mod status_source;
pub mod well_formed;

pub use start::{EnclaveProgram, RunError, run_node, run_until};
