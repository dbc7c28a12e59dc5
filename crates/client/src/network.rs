//! The network file: what a wallet must know about a network before it talks to any node.
//!
//! A node cannot tell a wallet whom to trust, so these come from the wallet's own files:
//! - `chain_id` and `config_digest`: bound into every attested channel's prologue and checked
//!   against the enclave's evidence (a node configured for another chain or other consensus
//!   parameters fails the handshake);
//! - `origin_block_id`: the only block trusted without signatures;
//! - `nodes`: client API URLs to use when the user names none;
//! - `simulated`: whether the network's enclaves run on the SIMULATED platform (its trust
//!   anchor is the public devnet root; evidence from it is still refused unless the user also
//!   passes `--allow-simulated`).
//!
//! Format (`mcnode devnet init` writes it as `wallets/network.json`): one JSON object
//! `{"format": "mcnode-network", "version": 1, "network": "devnet", "chain_id": "...",
//! "config_digest": <64 hex>, "origin_block_id": <64 hex>, "nodes": ["http://..."],
//! "simulated": true}`. The trusted measurements are NOT in this file: they are the
//! built-in list of this release or the user's `--trusted-measurements` file.

use std::path::{Path, PathBuf};

use mcnode_ledger::BlockId;
use mcnode_tx::address::Network;
use mcnode_types::Hash32;

/// `format` of network files.
pub const NETWORK_FORMAT: &str = "mcnode-network";

/// Why a network file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NetworkFileError {
    /// Reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not the documented JSON.
    #[error("{path}: not a network file: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A parsed network file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkFile {
    /// Address network.
    pub network: Network,
    /// Chain id.
    pub chain_id: String,
    /// Digest of the consensus configuration the enclaves attest.
    pub config_digest: Hash32,
    /// The origin block's id.
    pub origin: BlockId,
    /// Client API URLs.
    pub nodes: Vec<String>,
    /// The network runs on the simulated attestation platform.
    pub simulated: bool,
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format: String,
    version: u64,
    network: String,
    chain_id: String,
    config_digest: Hash32,
    origin_block_id: Hash32,
    nodes: Vec<String>,
    simulated: bool,
}

/// The name of a network in files.
pub fn network_name(n: Network) -> &'static str {
    match n {
        Network::Mainnet => "mainnet",
        Network::Testnet => "testnet",
        Network::Devnet => "devnet",
    }
}

fn network_from_name(s: &str) -> Option<Network> {
    [Network::Mainnet, Network::Testnet, Network::Devnet]
        .into_iter()
        .find(|n| network_name(*n) == s)
}

impl NetworkFile {
    /// Parses the text of a network file (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<NetworkFile, NetworkFileError> {
        let bad = |reason: &str| NetworkFileError::Format {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        };
        let raw: Raw = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        if raw.format != NETWORK_FORMAT || raw.version != 1 {
            return Err(bad("format is not \"mcnode-network\" version 1"));
        }
        let network = network_from_name(&raw.network)
            .ok_or_else(|| bad("network is not mainnet, testnet or devnet"))?;
        if raw.chain_id.is_empty() || raw.chain_id.len() > 64 {
            return Err(bad("chain_id must be 1 to 64 bytes"));
        }
        Ok(NetworkFile {
            network,
            chain_id: raw.chain_id,
            config_digest: raw.config_digest,
            origin: BlockId(raw.origin_block_id),
            nodes: raw.nodes,
            simulated: raw.simulated,
        })
    }

    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<NetworkFile, NetworkFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| NetworkFileError::Io { path: path.to_path_buf(), source })?;
        NetworkFile::parse(&text, path)
    }

    /// The file's JSON text.
    pub fn to_json(&self) -> String {
        let raw = Raw {
            format: NETWORK_FORMAT.to_owned(),
            version: 1,
            network: network_name(self.network).to_owned(),
            chain_id: self.chain_id.clone(),
            config_digest: self.config_digest,
            origin_block_id: self.origin.0,
            nodes: self.nodes.clone(),
            simulated: self.simulated,
        };
        // Serialising plain strings, numbers and hashes cannot fail.
        serde_json::to_string_pretty(&raw).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> NetworkFile {
        NetworkFile {
            network: Network::Devnet,
            chain_id: "devnet".into(),
            config_digest: Hash32([7; 32]),
            origin: BlockId(Hash32([9; 32])),
            nodes: vec!["http://127.0.0.1:1".into()],
            simulated: true,
        }
    }

    #[test]
    fn round_trips() {
        let f = sample();
        assert_eq!(NetworkFile::parse(&f.to_json(), Path::new("n")).unwrap(), f);
    }

    #[test]
    fn refuses_another_format_and_unknown_fields() {
        let text = sample().to_json().replace("mcnode-network", "other");
        assert!(matches!(
            NetworkFile::parse(&text, Path::new("n")),
            Err(NetworkFileError::Format { .. })
        ));
        let text = sample().to_json().replacen('{', "{\"extra\": 1,", 1);
        assert!(matches!(
            NetworkFile::parse(&text, Path::new("n")),
            Err(NetworkFileError::Format { .. })
        ));
        assert!(matches!(
            NetworkFile::parse("{", Path::new("n")),
            Err(NetworkFileError::Format { .. })
        ));
    }
}
