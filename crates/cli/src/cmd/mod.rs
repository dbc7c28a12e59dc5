//! One module per subcommand.

pub mod quorum;
pub mod version;
