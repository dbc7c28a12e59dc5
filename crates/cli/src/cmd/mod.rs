//! One module per subcommand.

pub mod attest;
pub mod quorum;
pub mod bench;
pub mod version;
