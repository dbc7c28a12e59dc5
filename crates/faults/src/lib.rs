//! Fault tests on real `mcnode` processes (issue 14): a test-only harness, never published.
//!
//! A run puts every node of a devnet in a network namespace of its own ([`hosts`]), routes every
//! peer link through a userspace proxy that can delay it ([`proxy`]), cuts links and drops
//! packets with nftables inside the namespaces ([`nft`]), kills and restarts nodes (also right
//! when a block is being appended), runs nodes with fast or slow clocks, submits real payments
//! through the client API ([`payments`]) and, after every run, checks the invariants of
//! [`invariants`]. Plans of faults come from a seed ([`plan`]); [`scenario::run`] executes one.
//!
//! The harness needs root (namespaces, veth, nftables) and the tools that
//! `scripts/install-test-deps.sh` installs. Where namespaces cannot be made, [`hosts::Hosts::create`]
//! returns [`hosts::HostError::NoNetns`] and the tests fail with that message: they never skip.
//! The `mcnode` binary is an argument: the tests that run whole networks live in
//! `crates/cli/tests/faults.rs`, where cargo builds the binary and names it
//! (`CARGO_BIN_EXE_mcnode`, with the features of mcnode-cli's dev-dependencies).

pub mod hosts;
pub mod invariants;
pub mod network;
pub mod nft;
pub mod observe;
pub mod payments;
pub mod plan;
pub mod proxy;
pub mod scenario;
