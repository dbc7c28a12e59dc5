//! The mcnode wallet core: everything a wallet does that does not depend on the transport.
//!
//! A wallet reaches a node through [`NodeApi`] (the node's public client API; [`GrpcNode`]
//! implements it over the attested channel, [`Nodes`] over several trusted nodes). Modules:
//! - [`verify`]: which blocks the wallet believes: chain linkage, contents hash, id, and
//!   signatures of a threshold of trusted, attested block signers ([`TrustPolicy`]).
//! - [`scan`]: view-key scanning over a range of subaddresses, key images of what is found.
//! - [`state`] and [`store`]: outputs, spends and pending transactions; balances per token
//!   (spendable, pending); a crash-safe state file (atomic replace, checksummed).
//! - [`wallet`]: sync (fetch, verify, scan, save).
//! - [`decoys`] and [`pay`]: input selection, uniformly drawn decoys proven to be in the
//!   ledger, fee, tombstone, change, submission and inclusion.
//! - [`keyfile`]: the account key files `mcnode devnet init` writes (0600, checked address).
//! - [`grpc`], [`multi`], [`connect`], [`network`]: the transport: attested channels to
//!   the trusted nodes (evidence checked first), signatures merged across them, the
//!   network file that says which chain, configuration and origin to expect.
//! - [`error`]: errors a user can act on ([`ClientError`]).
//!
//! Guarantees: nothing a node serves is kept unless verified (a refused block names the rule
//! and the signer); the store never holds a torn state; a payment never pays less than the
//! network's minimum fee nor uses an expired tombstone; secrets never appear in errors or
//! `Debug`; time and randomness are the caller's (an RNG argument, a pause callback).

pub mod connect;
pub mod decoys;
pub mod error;
pub mod grpc;
pub mod keyfile;
pub mod multi;
pub mod network;
pub mod node_api;
pub mod pay;
pub mod scan;
pub mod state;
pub mod store;
pub mod verify;
pub mod wallet;

pub use connect::{TrustOptions, connect};
pub use error::ClientError;
pub use grpc::GrpcNode;
pub use multi::Nodes;
pub use network::NetworkFile;
pub use node_api::{
    LastBlockInfo, NodeApi, NodeError, OutputWithProof, OutputsAnswer, ProposeRefusal,
};
pub use pay::{Inclusion, Payment, Submitted};
pub use state::{Balance, WalletState};
pub use store::{StateFile, StoreError};
pub use verify::{BlockError, TrustPolicy};
pub use wallet::{SyncReport, Wallet};
