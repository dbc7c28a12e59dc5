//! `mcwallet`: pay and get paid on an mcnode network from the command line.
//!
//! A thin front over `mcnode-client`: every networked command opens attested channels to the
//! trusted nodes (their enclaves' evidence checked first), syncs and verifies blocks (a
//! majority of the trusted nodes' attested block-signing keys), scans with the view key and
//! keeps its state beside the key file (`FILE.state`, crash-safe). See docs/wallet.md.
//! Exit codes: 0 ok; 1 refused by the network or insufficient funds; 2 bad input; 3 cannot
//! reach or trust the node.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod amount;
mod commands;
mod context;
mod errors;

use context::Common;
use errors::Failed;

const EXAMPLES: &str = "\
Examples (a devnet made by `mcnode devnet init ./devnet` and running with `mcnode devnet up`):
  mcwallet --wallet ./devnet/wallets/wallet-0.json --allow-simulated balance
  mcwallet --wallet ./devnet/wallets/wallet-1.json address
  mcwallet --wallet ./devnet/wallets/wallet-0.json --allow-simulated \\
      send --to mcd1... --amount 1.5
  mcwallet --wallet ./devnet/wallets/wallet-1.json --allow-simulated history --json
  mcwallet new --out alice.key

Amounts are decimals in whole tokens (token 0 has 12 decimals, token 1 has 6), or raw base
units with the suffix `base` (400base). The wallet reads network.json beside the key file
(chain id, configuration digest, origin block, node URLs) unless --network names another.

Exit codes: 0 ok; 1 refused by the network or insufficient funds; 2 bad input;
3 cannot reach or trust the node. With --json, errors are one JSON object on stderr
{\"error\": {\"code\": ..., \"message\": ...}} with a stable code.";

/// Wallet for an mcnode payment network: keys, balance, payments, history.
#[derive(Parser, Debug)]
#[command(name = "mcwallet", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new account key file (mode 0600). The keys are never printed.
    New {
        /// Where to write it (refuses an existing file).
        #[arg(long)]
        out: PathBuf,
        /// Which network its addresses are for.
        #[arg(long = "network-name", default_value = "devnet")]
        network_name: String,
    },
    /// Print the wallet's address (offline). Give it to whoever pays you.
    Address {
        /// A subaddress index (0 is the default address, 1 the wallet's change).
        #[arg(long, default_value_t = 0)]
        subaddress: u64,
    },
    /// Sync with the trusted nodes and print the balance per token (spendable, and pending:
    /// held by payments not yet in a block).
    Balance,
    /// Pay ADDRESS: picks inputs, hides each among 10 decoys, pays at least the network's
    /// minimum fee, submits over the attested channel and waits for a block.
    Send {
        /// The recipient's address (checksum and network are checked).
        #[arg(long)]
        to: String,
        /// The amount: a decimal in whole tokens (1.5), or base units (400base).
        #[arg(long)]
        amount: String,
        /// The token id.
        #[arg(long, default_value_t = 0)]
        token: u64,
        /// The fee (same units as --amount); default: the network's minimum for the token.
        #[arg(long)]
        fee: Option<String>,
        /// Blocks until the transaction expires if not included (default 50).
        #[arg(long)]
        tombstone_blocks: Option<u64>,
        /// Return as soon as the node accepted the transaction.
        #[arg(long)]
        no_wait: bool,
        /// Longest wait for the block that includes it, seconds (then exit 1,
        /// `not_confirmed`; the payment stays pending until its tombstone).
        #[arg(long, default_value_t = 120)]
        wait_secs: u64,
    },
    /// Sync and list what the wallet received and spent, by block.
    History,
    /// Follow new blocks and print incoming payments until Ctrl-C.
    Watch,
    /// Print the key file, SECRET KEYS INCLUDED (for a backup).
    Export,
}

fn emit(common: &Common, out: commands::Output) {
    use std::io::Write as _;
    let mut o = std::io::stdout().lock();
    if common.json {
        let _ = writeln!(o, "{}", out.json);
    } else {
        for l in out.text {
            let _ = writeln!(o, "{l}");
        }
    }
}

async fn dispatch(cli: &Cli) -> Result<commands::Output, Failed> {
    let c = &cli.common;
    match &cli.command {
        Command::New { out, network_name } => commands::new(out, network_name),
        Command::Address { subaddress } => commands::address(c, *subaddress),
        Command::Balance => commands::balance(c).await,
        Command::Send { to, amount, token, fee, tombstone_blocks, no_wait, wait_secs } => {
            let a = commands::SendArgs {
                to: to.clone(),
                amount: amount.clone(),
                token: *token,
                fee: fee.clone(),
                tombstone_blocks: *tombstone_blocks,
                no_wait: *no_wait,
                wait_secs: *wait_secs,
            };
            commands::send(c, &a).await
        }
        Command::History => commands::history(c).await,
        Command::Watch => commands::watch(c).await,
        Command::Export => commands::export(c),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mcwallet: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(dispatch(&cli)) {
        Ok(out) => {
            emit(&cli.common, out);
            ExitCode::SUCCESS
        }
        Err(f) => {
            f.print(cli.common.json);
            ExitCode::from(f.exit)
        }
    }
}
