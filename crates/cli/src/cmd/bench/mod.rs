//! `mcnode bench ...`: measurements in the spirit of `openssl speed`. One module per subject;
//! each subcommand prints a table, or one JSON object with `--json`.

use std::process::ExitCode;

use clap::Subcommand;

pub mod devnet;
mod devnet_client;
mod devnet_procs;
pub mod enclave;
mod enclave_fixture;
pub mod ledger;
pub mod network;
mod network_floor;
mod network_load;
pub mod tx;
mod tx_stages;

/// What to measure.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Transaction cryptography and validation throughput (ring signatures, range proofs,
    /// whole transactions one at a time and in batches).
    Tx(tx::TxArgs),
    /// Durable ledger: append throughput, key-image lookups, membership proofs, open time.
    Ledger(ledger::LedgerArgs),
    /// The enclave boundary: a well-formedness check direct, in-process and through the
    /// `mcnode-enclave` process, interleaved.
    Enclave(enclave::EnclaveArgs),
    /// A loopback devnet of `mcnode run` processes: nomination-to-externalize time, SCP
    /// messages per slot, submit-to-block latency at low load, idle CPU per node.
    Devnet(devnet::DevnetArgs),
    /// Load on a loopback devnet: the highest rate every node sustains in agreement (from the
    /// blocks), latency at half of it, refusals, CPU and memory per node, and the ratio to the
    /// verification floor measured in the same run.
    Network(network::NetworkArgs),
}

/// Runs a benchmark subcommand.
pub fn run(cmd: BenchCommand) -> ExitCode {
    match cmd {
        BenchCommand::Tx(args) => tx::run(args),
        BenchCommand::Ledger(args) => ledger::run(args),
        BenchCommand::Enclave(args) => enclave::run(args),
        BenchCommand::Devnet(args) => devnet::run(args),
        BenchCommand::Network(args) => network::run(args),
    }
}
