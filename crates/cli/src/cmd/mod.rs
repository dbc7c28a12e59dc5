//! One module per subcommand.

pub mod attest;
pub mod version;
