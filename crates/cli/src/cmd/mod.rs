//! One module per subcommand.

pub mod attest;
pub mod bench;
pub mod config;
pub mod devnet;
pub mod keys;
pub mod ledger;
pub mod quorum;
pub mod sim;
pub mod version;
