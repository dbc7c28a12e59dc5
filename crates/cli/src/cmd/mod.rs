//! One module per subcommand.

pub mod attest;
pub mod bench;
pub mod quorum;
pub mod version;
