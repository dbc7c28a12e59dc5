//! `mcnode version`.

use std::process::ExitCode;

/// Prints the version and what this build simulates.
pub fn run() -> ExitCode {
    println!("mcnode {}", env!("CARGO_PKG_VERSION"));
    println!("TEE platform: simulated (no hardware enclave on this build)");
    let mut features: Vec<&str> = Vec::new();
    if cfg!(feature = "s3") {
        features.push("s3");
    }
    // Enabled on mcnode-node directly by test builds (mcnode-cli's dev-dependencies).
    if mcnode_node::config::BYZANTINE_BUILD {
        features.push("byzantine");
    }
    println!("features: {}", if features.is_empty() { "none".into() } else { features.join(", ") });
    ExitCode::SUCCESS
}
