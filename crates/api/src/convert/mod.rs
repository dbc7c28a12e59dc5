//! Conversions between the protobuf messages ([`crate::pb`]) and the domain types of
//! `mcnode-ledger`, `mcnode-tx`, `mcnode-types` and `mcnode-enclave`. Domain to wire is
//! infallible (`From`); wire to domain refuses bad input with a [`crate::WireError`]
//! (`TryFrom` and functions named after the request).

pub mod blocks;
pub mod channel;
pub mod requests;
