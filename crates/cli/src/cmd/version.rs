//! `mcnode version`.

use std::process::ExitCode;

/// Prints the version and what this build simulates.
pub fn run() -> ExitCode {
    println!("mcnode {}", env!("CARGO_PKG_VERSION"));
    println!("TEE platform: simulated (no hardware enclave on this build)");
    ExitCode::SUCCESS
}
