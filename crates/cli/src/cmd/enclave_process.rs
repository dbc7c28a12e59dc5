//! `mcnode enclave-process --platform-seed-file FILE` (hidden): the enclave process, served by
//! this same binary so that one build of `mcnode` runs a whole node. A node and
//! `mcnode bench enclave` spawn `current_exe() enclave-process ...` by default; the body is
//! `mcnode_enclave::process::serve_main`, which the crate's own `mcnode-enclave` binary runs
//! too. Exit 0 when stdin closes, 2 on a bad seed file or a broken pipe.

use std::path::PathBuf;
use std::process::ExitCode;

/// The subcommand's name, as spawners pass it.
pub const SUBCOMMAND: &str = "enclave-process";

/// Arguments of `mcnode enclave-process`.
#[derive(clap::Args, Debug)]
pub struct EnclaveProcessArgs {
    /// File holding the SIMULATED platform's seed (64 hex digits).
    #[arg(long)]
    platform_seed_file: PathBuf,
}

/// Serves enclave calls until stdin closes.
pub fn run(args: EnclaveProcessArgs) -> ExitCode {
    match mcnode_enclave::process::serve_main(&args.platform_seed_file) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcnode enclave-process: {e}");
            ExitCode::from(2)
        }
    }
}
