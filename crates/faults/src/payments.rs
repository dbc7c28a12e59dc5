//! Real payments during a fault run: transactions built from the devnet's funded origin outputs
//! (each demo wallet has three token-0 outputs) and submitted through a node's client API over
//! the attested channel, as a wallet does (Noise NX with the enclave's simulated evidence
//! checked, the transaction sealed in chunks, `ProposeTx`).
//!
//! Each payment spends one origin output, so a devnet of `W` wallets pays `3 W` times. The
//! key image of each accepted payment is what the invariants look for in the ledgers.

use std::path::Path;
use std::time::Duration;

use mcnode_api::pb::client::v1::{AuthRequest, ProposeTxRequest};
use mcnode_api::pb::common::v1::ProposeTxResult;
use mcnode_attest::{Policy, Verifier};
use mcnode_enclave::call::config_digest;
use mcnode_enclave::channel::{ChannelConfig, ClientHandshake};
use mcnode_enclave::chunks::seal_chunks;
use mcnode_enclave::host::ring_proofs;
use mcnode_enclave::host_types::{FeeEntry, ProposedTx};
use mcnode_enclave::measurement::default_trusted_measurements;
use mcnode_ledger::{Ledger, MemoryLedger};
use mcnode_node::config::{self, Overrides, keyfile};
use mcnode_tx::builder::{SpendableOutput, TransactionBuilder};
use mcnode_tx::testkit::UniformDecoys;
use mcnode_tx::{AccountKey, PublicAddress, TokenId, TxOut};
use mcnode_types::Encode;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// What can go wrong paying.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// The devnet's files could not be read.
    #[error("devnet files: {0}")]
    Setup(String),
    /// Every funded origin output is spent.
    #[error("no unspent origin output left (devnet init --wallets more)")]
    Exhausted,
    /// Building the transaction failed.
    #[error("building a payment: {0}")]
    Build(String),
    /// The node could not be reached or the channel failed (it may be down or cut off).
    #[error("submitting to {url}: {reason}")]
    Transport {
        /// The client API.
        url: String,
        /// Why.
        reason: String,
    },
}

/// A payment built and its key image (hex, as `/blocks` shows it).
#[derive(Clone, Debug)]
pub struct Payment {
    /// The transaction with its ring proofs.
    pub tx: ProposedTx,
    /// The key image of its one input.
    pub key_image: String,
}

/// The devnet's wallets and the origin outputs not yet spent.
pub struct Payer {
    accounts: Vec<AccountKey>,
    ledger: MemoryLedger,
    outputs: Vec<TxOut>,
    unspent: Vec<(usize, SpendableOutput)>,
    channel: ChannelConfig,
    to: PublicAddress,
}

fn setup(e: impl std::fmt::Display) -> PayError {
    PayError::Setup(e.to_string())
}

impl Payer {
    /// Reads `wallets` wallets of the devnet in `dir`, as `node_config` (any node's) is set up.
    pub fn new(dir: &Path, wallets: usize, node_config: &Path) -> Result<Payer, PayError> {
        let cfg = config::load(node_config, &Overrides::default()).map_err(setup)?.config;
        let text = std::fs::read_to_string(&cfg.ledger.origin).map_err(setup)?;
        let origin = mcnode_ledger::origin::parse(&text).map_err(setup)?;
        let origin = mcnode_ledger::origin::origin_block(&origin).map_err(setup)?;
        let mut ledger = MemoryLedger::new();
        ledger.append_block(&origin.block).map_err(setup)?;
        let outputs = origin.block.contents.outputs.clone();
        let mut accounts = Vec::new();
        let mut unspent = Vec::new();
        for w in 0..wallets {
            let file = dir.join(format!("wallets/wallet-{w}.json"));
            let (account, _) = keyfile::read_account_key(&file).map_err(setup)?;
            for o in &outputs {
                if let Ok(owned) = o.view(&account, 0)
                    && owned.amount.token_id == TokenId(0)
                {
                    let s =
                        SpendableOutput { tx_out: *o, subaddress_index: 0, amount: owned.amount };
                    unspent.push((w, s));
                }
            }
            accounts.push(account);
        }
        let fees: Vec<FeeEntry> = cfg
            .fees
            .minimum_fees()
            .into_iter()
            .map(|(t, f)| FeeEntry { token: TokenId(t), minimum_fee: f })
            .collect();
        let policy = mcnode_node::runtime::start::peer_policy(&cfg).map_err(setup)?;
        let digest = config_digest(&cfg.chain_id, &fees, &cfg.fees.recipient.address, &policy);
        let channel = ChannelConfig::new(&cfg.chain_id, digest);
        let to = accounts.first().ok_or_else(|| setup("no wallet"))?.default_address();
        Ok(Payer { accounts, ledger, outputs, unspent, channel, to })
    }

    /// Origin outputs left to spend.
    pub fn left(&self) -> usize {
        self.unspent.len()
    }

    /// The next payment (consumes one origin output), built with randomness from `seed`.
    pub fn next(&mut self, seed: u64) -> Result<Payment, PayError> {
        let (w, input) = self.unspent.pop().ok_or(PayError::Exhausted)?;
        let mut b = TransactionBuilder::new(&self.accounts[w], TokenId(0), 1000, 100);
        b.add_input(input);
        b.add_output(1_000 + seed % 1000, &self.to, None);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut decoys = UniformDecoys::new(&self.outputs, seed);
        let tx = b.build(&mut decoys, &mut rng).map_err(|e| PayError::Build(format!("{e:?}")))?;
        let ring_proofs =
            ring_proofs(&self.ledger, &tx).map_err(|e| PayError::Build(format!("{e:?}")))?;
        let key_image = tx.key_images().first().map(|k| hex(&k.0.0)).unwrap_or_default();
        Ok(Payment { tx: ProposedTx { tx, ring_proofs }, key_image })
    }

    /// Proposes `p` to the node at `client_url` (bounded by 15 s).
    pub async fn submit(
        &self,
        client_url: &str,
        p: &Payment,
        seed: u64,
    ) -> Result<ProposeTxResult, PayError> {
        let r =
            tokio::time::timeout(Duration::from_secs(15), self.submit_inner(client_url, p, seed));
        r.await.unwrap_or_else(|_| {
            Err(PayError::Transport { url: client_url.to_owned(), reason: "timed out".into() })
        })
    }

    async fn submit_inner(
        &self,
        url: &str,
        p: &Payment,
        seed: u64,
    ) -> Result<ProposeTxResult, PayError> {
        let t = |reason: String| PayError::Transport { url: url.to_owned(), reason };
        let endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())
            .map_err(|e| t(e.to_string()))?
            .connect_timeout(Duration::from_secs(3));
        let channel = endpoint.connect().await.map_err(|e| t(e.to_string()))?;
        let mut client = mcnode_api::limits::client_api_client(channel);
        let mut eph = [0u8; 32];
        eph[..8].copy_from_slice(&seed.to_le_bytes());
        eph[8] = 1;
        let (hs, msg1) =
            ClientHandshake::start(&self.channel, eph).map_err(|e| t(format!("{e:?}")))?;
        let msg2 = client
            .auth(AuthRequest { handshake: msg1 })
            .await
            .map_err(|e| t(e.to_string()))?
            .into_inner()
            .handshake;
        let verifier = Verifier::new(Policy::simulated(
            mcnode_attest::sim::SimRootKey::devnet().public(),
            default_trusted_measurements(),
        ));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let (mut session, _) = hs.finish(&msg2, &verifier, now).map_err(|e| t(format!("{e:?}")))?;
        let msgs = seal_chunks(&mut session, &p.tx.to_canonical_bytes())
            .map_err(|e| t(format!("{e:?}")))?;
        let payload = mcnode_api::convert::channel::payload(session.id(), &msgs);
        let r = client
            .propose_tx(ProposeTxRequest { payload: Some(payload) })
            .await
            .map_err(|e| t(e.to_string()))?
            .into_inner();
        Ok(ProposeTxResult::try_from(r.result).unwrap_or(ProposeTxResult::Unspecified))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
