//! One module per subcommand.

/// `println!` that tolerates a closed stdout pipe (`mcnode ... | head` must not panic).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

pub mod archive;
pub mod attest;
pub mod bench;
pub mod config;
pub mod contained;
pub mod debug_bundle;
pub mod devnet;
pub mod devnet_demo;
pub mod devnet_up;
pub mod enclave_process;
pub mod keys;
pub mod ledger;
pub mod quorum;
pub mod run;
pub mod sim;
pub mod version;
