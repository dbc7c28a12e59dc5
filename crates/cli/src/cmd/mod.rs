//! One module per subcommand.

pub mod quorum;
pub mod bench;
pub mod version;
