//! One module per subcommand.

pub mod attest;
pub mod bench;
pub mod contained;
pub mod enclave_process;
pub mod ledger;
pub mod quorum;
pub mod run;
pub mod sim;
pub mod version;
