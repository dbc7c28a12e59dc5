//! One module per subcommand.

pub mod bench;
pub mod ledger;
pub mod version;
