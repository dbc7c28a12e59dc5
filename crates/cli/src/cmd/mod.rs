//! One module per subcommand.

pub mod attest;
pub mod quorum;
pub mod version;
