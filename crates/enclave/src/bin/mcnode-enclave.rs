//! `mcnode-enclave`: the enclave process. Serves `EnclaveCall` frames on stdin/stdout (see
//! `mcnode_enclave::process`); exits when stdin closes.
//!
//! Usage: `mcnode-enclave --platform-seed-file FILE`, where FILE holds 64 hex digits: the
//! seed of the SIMULATED platform (its sealing secret; keep it in the node's data directory so
//! the sealed signing key survives restarts). The platform is certified by the public devnet
//! simulation root, so its evidence proves nothing against the operator. Which peer enclaves
//! this enclave trusts is not built in: the host passes the operator's peer policy at `Init`.
//!
//! The body is [`mcnode_enclave::process::serve_main`], which the `mcnode` binary also runs
//! (hidden subcommand `mcnode enclave-process`), so one build of `mcnode` is enough to run a
//! node; this small binary stays for the crate's own tests and benches.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [flag, path] = args.as_slice() else {
        eprintln!("usage: mcnode-enclave --platform-seed-file FILE");
        return ExitCode::from(2);
    };
    if flag != "--platform-seed-file" {
        eprintln!("usage: mcnode-enclave --platform-seed-file FILE");
        return ExitCode::from(2);
    }
    match mcnode_enclave::process::serve_main(Path::new(path)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcnode-enclave: {e}");
            ExitCode::from(2)
        }
    }
}
