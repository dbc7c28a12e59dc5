//! `mcnode`: the operator's command line for an mcnode validator network.
//!
//! Each subcommand lives in its own module under `cmd/`; `main` only parses and dispatches.
//! Exit codes are part of the interface: 0 success, 1 a negative verdict (the check found a
//! problem), 2 bad input, other codes as each subcommand documents.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Validator node and operator toolkit for a private payment network (SCP consensus,
/// confidential transactions, attested enclaves).
#[derive(Parser, Debug)]
#[command(name = "mcnode", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show version and build information.
    Version,
    /// Measure performance (`mcnode bench tx`, ...).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        command: cmd::bench::BenchCommand,
    },
    /// Publish a ledger's blocks to a block archive (a directory, file:// or s3:// URL).
    Archive(cmd::archive::ArchiveArgs),
    /// Create and inspect a durable ledger (`init`, `info`, `verify`, `blocks`, `sync`).
    Ledger {
        /// What to do.
        #[command(subcommand)]
        command: cmd::ledger::LedgerCommand,
    },
    /// Simulate a whole SCP network on virtual time (scenario file or quick topology run).
    Sim(cmd::sim::SimArgs),
    /// Enclave attestation: measurement, evidence, verification.
    #[command(subcommand)]
    Attest(cmd::attest::AttestCommand),
    /// Quorum health: intersection, top tier, blocking and splitting sets.
    #[command(subcommand)]
    Quorum(cmd::quorum::QuorumCommand),
    /// Node keys (`mcnode keys generate --out DIR`).
    #[command(subcommand)]
    Keys(cmd::keys::KeysCommand),
    /// Node configuration (`mcnode config check node.toml`).
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// Local test networks: `mcnode devnet --demo` (payments through a 4-node network, with
    /// a verdict), `mcnode devnet` (create and run), `init DIR`, `up DIR`.
    Devnet(cmd::devnet::DevnetArgs),
    /// Collect version, redacted configuration, recent logs and the admin endpoints'
    /// answers into one .tar.gz for a bug report.
    DebugBundle(cmd::debug_bundle::DebugBundleArgs),
    /// Run a validator node until SIGTERM/SIGINT (`mcnode run --config node.toml`).
    Run(cmd::run::RunArgs),
    /// The enclave process a node (and `bench enclave`) spawns: serves enclave calls on
    /// stdin/stdout. Not for operators.
    #[command(name = "enclave-process", hide = true)]
    EnclaveProcess(cmd::enclave_process::EnclaveProcessArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => cmd::version::run(),
        Command::Bench { command } => cmd::bench::run(command),
        Command::Archive(args) => cmd::archive::run_archive(args),
        Command::Ledger { command } => cmd::ledger::run(command),
        Command::Sim(args) => cmd::sim::run(args),
        Command::Attest(c) => cmd::attest::run(c),
        Command::Quorum(c) => cmd::quorum::run(c),
        Command::Keys(c) => cmd::keys::run(c),
        Command::Config(c) => cmd::config::run(c),
        Command::Devnet(c) => cmd::devnet::run(c),
        Command::DebugBundle(args) => cmd::debug_bundle::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::EnclaveProcess(args) => cmd::enclave_process::run(args),
    }
}
