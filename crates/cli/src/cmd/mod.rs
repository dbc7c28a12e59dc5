//! One module per subcommand.

pub mod version;
pub mod sim;
