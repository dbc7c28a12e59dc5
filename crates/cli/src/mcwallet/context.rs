//! What every networked mcwallet command shares: the common flags, the key file, the network
//! file, the state file, the attested connection to the trusted nodes, the clock and the OS
//! randomness, and a progress line while a long sync runs.

use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;

use mcnode_attest::TrustedMeasurements;
use mcnode_client::keyfile::read_account_key;
use mcnode_client::scan::DEFAULT_SUBADDRESSES;
use mcnode_client::{
    LastBlockInfo, NetworkFile, NodeApi, NodeError, Nodes, OutputsAnswer, StateFile, TrustOptions,
    Wallet,
};
use mcnode_ledger::BlockData;
use mcnode_tx::{AccountKey, MembershipProof, Tx};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use zeroize::Zeroizing;

use crate::errors::Failed;

/// Flags every command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// The account key file (`mcwallet new`, or `mcnode devnet init`'s wallets/wallet-N.json).
    #[arg(long, global = true, env = "MCWALLET_WALLET")]
    pub wallet: Option<PathBuf>,
    /// A node's client API URL (http://host:port); repeat to trust several nodes: blocks
    /// must then be signed by a majority of them. Default: the network file's nodes.
    #[arg(long = "node", global = true, value_name = "URL")]
    pub nodes: Vec<String>,
    /// The network file (chain id, configuration digest, origin block). Default:
    /// network.json beside the wallet file.
    #[arg(long, global = true, value_name = "FILE")]
    pub network: Option<PathBuf>,
    /// The enclave measurements to trust (TOML allow-list). Default: this release's.
    #[arg(long, global = true, value_name = "FILE")]
    pub trusted_measurements: Option<PathBuf>,
    /// Accept SIMULATED attestation evidence (local test networks only: it proves nothing).
    #[arg(long, global = true)]
    pub allow_simulated: bool,
    /// One JSON document on stdout; errors as JSON on stderr with a stable `code`.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An RNG seeded from the OS.
pub fn os_rng() -> Result<ChaCha20Rng, Failed> {
    let mut seed = Zeroizing::new([0u8; 32]);
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed[..]))
        .map_err(|e| Failed::input("random", format!("cannot read /dev/urandom: {e}")))?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

impl Common {
    /// The wallet file, required.
    pub fn wallet_path(&self) -> Result<PathBuf, Failed> {
        self.wallet.clone().ok_or_else(|| {
            Failed::input(
                "no_wallet",
                "no wallet file: pass --wallet FILE (or set MCWALLET_WALLET)",
            )
        })
    }

    /// The account keys and their network.
    pub fn account(&self) -> Result<(AccountKey, mcnode_tx::address::Network), Failed> {
        let path = self.wallet_path()?;
        read_account_key(&path).map_err(|e| Failed::input("wallet_file", e.to_string()))
    }

    fn network_file(&self) -> Result<NetworkFile, Failed> {
        let path = match &self.network {
            Some(p) => p.clone(),
            None => {
                let w = self.wallet_path()?;
                w.parent().map(|d| d.join("network.json")).unwrap_or_else(|| "network.json".into())
            }
        };
        NetworkFile::load(&path)
            .map_err(|e| Failed::input("network_file", format!("{e} (pass --network FILE)")))
    }

    /// Opens the wallet and connects to its trusted nodes (attested).
    pub async fn open(&self) -> Result<(Wallet, Progress<Nodes>), Failed> {
        let (account, network) = self.account()?;
        let net = self.network_file()?;
        if net.network != network {
            return Err(Failed::input(
                "wrong_network",
                format!("the wallet is for {network:?}, the network file for {:?}", net.network),
            ));
        }
        let trusted = match &self.trusted_measurements {
            Some(p) => TrustedMeasurements::load(p)
                .map_err(|e| Failed::input("trusted_measurements", e.to_string()))?,
            None => mcnode_enclave::measurement::default_trusted_measurements(),
        };
        if self.allow_simulated {
            eprintln!(
                "WARNING: --allow-simulated: accepting SIMULATED attestation evidence. It proves \
                 NOTHING about the node's software; use it only on a local test network."
            );
        }
        let opts = TrustOptions {
            urls: self.nodes.clone(),
            trusted,
            allow_simulated: self.allow_simulated,
        };
        let mut rng = os_rng()?;
        let (nodes, policy) = mcnode_client::connect(&net, &opts, now(), &mut rng).await?;
        let state = state_path(&self.wallet_path()?);
        let wallet =
            Wallet::open(account, network, policy, DEFAULT_SUBADDRESSES, StateFile::new(state))?;
        let show = !self.json && std::io::stderr().is_terminal();
        Ok((wallet, Progress { inner: nodes, target: None, show }))
    }
}

/// The state file of wallet `path`: `path` + `.state`.
pub fn state_path(path: &std::path::Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(".state");
    PathBuf::from(s)
}

/// A [`NodeApi`] that shows a progress line on stderr while blocks are fetched (when the
/// wallet is more than one batch behind and stderr is a terminal).
#[derive(Debug)]
pub struct Progress<A> {
    /// The nodes.
    pub inner: A,
    target: Option<u64>,
    show: bool,
}

impl<A: NodeApi + Send> NodeApi for Progress<A> {
    async fn last_block_info(&mut self) -> Result<LastBlockInfo, NodeError> {
        let i = self.inner.last_block_info().await?;
        self.target = Some(i.index + 1);
        Ok(i)
    }

    async fn get_blocks(&mut self, from: u64, limit: u32) -> Result<Vec<BlockData>, NodeError> {
        if self.target.is_none() {
            self.last_block_info().await?;
        }
        let target = self.target.unwrap_or(0);
        let blocks = self.inner.get_blocks(from, limit).await?;
        if self.show && target > u64::from(limit) {
            if blocks.is_empty() {
                eprintln!("\rsynced {target} blocks{:20}", "");
            } else {
                let done = from + blocks.len() as u64;
                eprint!("\rsyncing: block {done} of {target} ({}%)", done * 100 / target.max(1));
            }
        }
        Ok(blocks)
    }

    async fn get_outputs(&mut self, indices: &[u64], at: u64) -> Result<OutputsAnswer, NodeError> {
        self.inner.get_outputs(indices, at).await
    }

    async fn propose_tx(&mut self, tx: &Tx, proofs: &[MembershipProof]) -> Result<(), NodeError> {
        self.inner.propose_tx(tx, proofs).await
    }
}
