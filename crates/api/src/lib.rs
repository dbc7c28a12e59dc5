//! `mcnode-api`: the wire protocol of an mcnode validator, as protobuf messages and gRPC
//! services, with conversions to the domain types and the limits every server applies.
//!
//! # Protocol
//! The `.proto` files in `crates/api/proto/` are the specification; they are compiled by
//! `build.rs` with protox (no `protoc`) and every gRPC port also serves gRPC server reflection
//! (v1 and v1alpha), so `grpcurl` or a client in any language can discover the services.
//! Packages are versioned:
//! - `mcnode.common.v1`: public data (blocks with signatures, outputs, membership proofs,
//!   encrypted channel payloads) and the `ProposeTxResult` code enum;
//! - `mcnode.client.v1.ConsensusClientApi`: `Auth` (attested Noise NX: message 1 in, message
//!   2 with the enclave's evidence out), `ProposeTx` (an encrypted transaction, answered with
//!   a [`ProposeTxResult`] code and the block count), `GetLastBlockInfo`, `GetBlocks`,
//!   `GetOutputs` (outputs with membership proofs against a given block, to build rings);
//! - `mcnode.peer.v1.PeerApi`: `PeerAuth` + `PeerAuthFinish` (attested Noise XX, three
//!   messages), `PeerTxPropose` (enclave-to-enclave relay), `SendConsensusMsg` and
//!   `GetLatestMsg` (signed SCP envelopes, opaque here: the node engine defines and checks
//!   them), `GetTxs` (bodies of transactions a node must vote on), `GetBlocks` (catch-up).
//!
//! The design follows MobileCoin's `consensus_client.proto`, `consensus_peer.proto` and
//! `blockchain.proto`, with these differences: results are one flat enum with a code per
//! transaction rule; chunked encrypted payloads name their session once; public data is
//! structured protobuf rather than serialized Rust.
//!
//! # Guarantees
//! - Conversions from the wire ([`convert`]) refuse wrong lengths, missing fields, too many
//!   items, non-canonical order and unknown codes with a typed [`WireError`] (which becomes
//!   `INVALID_ARGUMENT`); they never panic (fuzzed: [`fuzzing`]).
//! - Servers built with [`limits`] refuse oversized messages (`RESOURCE_EXHAUSTED`) before
//!   any handler runs, cap the items per request, bound request time and concurrency.
//! - [`rate`] is a pure token bucket for per-peer / per-client rate limits.
//! - Conversions are structural: block ids, signatures and proofs are checked by their users
//!   (ledger append, catch-up, wallet), not here.

pub mod convert;
mod error;
pub mod fuzzing;
pub mod limits;
mod oversize;
pub mod rate;
pub mod result;

pub use convert::requests::{
    BlockRange, LastBlockInfo, OutputsAnswer, OutputsQuery, PeerHandshake, TxsAnswer, TxsQuery,
};
pub use error::WireError;
pub use result::ProposeTxResult;

/// The encoded `FileDescriptorSet` of every `.proto` file (what reflection serves).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mcnode_descriptor.bin"));

/// Generated protobuf messages and gRPC services (prost + tonic), one module per package.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    /// `mcnode.common.v1`.
    pub mod common {
        /// `mcnode.common.v1`.
        pub mod v1 {
            tonic::include_proto!("mcnode.common.v1");
        }
    }
    /// `mcnode.client.v1`.
    pub mod client {
        /// `mcnode.client.v1`.
        pub mod v1 {
            tonic::include_proto!("mcnode.client.v1");
        }
    }
    /// `mcnode.peer.v1`.
    pub mod peer {
        /// `mcnode.peer.v1`.
        pub mod v1 {
            tonic::include_proto!("mcnode.peer.v1");
        }
    }
}

/// Fully qualified names of the gRPC services, as reflection lists them.
pub const SERVICE_NAMES: &[&str] =
    &["mcnode.client.v1.ConsensusClientApi", "mcnode.peer.v1.PeerApi"];
