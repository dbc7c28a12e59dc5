//! One module per subcommand.

pub mod attest;
pub mod bench;
pub mod contained;
pub mod ledger;
pub mod quorum;
pub mod sim;
pub mod version;
