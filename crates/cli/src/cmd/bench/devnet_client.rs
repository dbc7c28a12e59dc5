//! The client side of `mcnode bench devnet`: payments from the devnet's demo wallets, built
//! before the measurement, and their submission through a node's client API (attested Noise
//! session, then `ProposeTx`), as a wallet does.
//!
//! Each payment spends its wallet's token-0 origin output, so one wallet pays once: the bench
//! asks `devnet init` for one wallet per payment. `mcnode bench network` builds its load from
//! the load account's outputs with [`Network::pay`].

use std::path::Path;
use std::time::Instant;

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

/// What the payments need to know about the devnet (from one node's configuration).
pub struct Network {
    outputs: Vec<TxOut>,
    ledger: MemoryLedger,
    channel: ChannelConfig,
    fee: u64,
}

impl Network {
    /// Reads the origin block and the attested configuration digest as `cfg_path` sets them.
    pub fn load(cfg_path: &Path) -> Result<Network, String> {
        let cfg = config::load(cfg_path, &Overrides::default()).map_err(|e| e.to_string())?.config;
        let text = std::fs::read_to_string(&cfg.ledger.origin)
            .map_err(|e| format!("{}: {e}", cfg.ledger.origin.display()))?;
        let origin = mcnode_ledger::origin::parse(&text)
            .and_then(|s| mcnode_ledger::origin::origin_block(&s))
            .map_err(|e| e.to_string())?;
        let mut ledger = MemoryLedger::new();
        ledger.append_block(&origin.block).map_err(|e| e.to_string())?;
        let minimum = cfg.fees.minimum_fees();
        let fees: Vec<FeeEntry> =
            minimum.iter().map(|(t, f)| FeeEntry { token: TokenId(*t), minimum_fee: *f }).collect();
        let fee = minimum.iter().find(|(t, _)| *t == 0).map_or(0, |(_, f)| *f);
        let policy =
            mcnode_node::runtime::start::peer_policy(&cfg).map_err(|e| format!("policy: {e}"))?;
        let digest = config_digest(&cfg.chain_id, &fees, &cfg.fees.recipient.address, &policy);
        Ok(Network {
            outputs: origin.block.contents.outputs.clone(),
            ledger,
            channel: ChannelConfig::new(&cfg.chain_id, digest),
            fee,
        })
    }

    /// A payment of 1,000 token-0 units from wallet file `from` to wallet file `to`.
    pub fn payment(&self, from: &Path, to: &Path, seed: u64) -> Result<ProposedTx, String> {
        let (account, _) = keyfile::read_account_key(from).map_err(|e| e.to_string())?;
        let (dest, _) = keyfile::read_account_key(to).map_err(|e| e.to_string())?;
        let input = self
            .spendable(&account)
            .into_iter()
            .next()
            .ok_or_else(|| format!("{}: no token-0 origin output", from.display()))?;
        self.pay(&account, input, &dest.default_address(), 100, seed)
    }

    /// `account`'s token-0 origin outputs, in origin order.
    pub fn spendable(&self, account: &AccountKey) -> Vec<SpendableOutput> {
        self.outputs
            .iter()
            .filter_map(|o| {
                let owned = o.view(account, 0).ok()?;
                (owned.amount.token_id == TokenId(0)).then_some(SpendableOutput {
                    tx_out: *o,
                    subaddress_index: 0,
                    amount: owned.amount,
                })
            })
            .collect()
    }

    /// A one-input payment of 1,000 token-0 units from `input` (owned by `account`) to `to`,
    /// the change back to `account`, the minimum fee, decoys from the origin block.
    pub fn pay(
        &self,
        account: &AccountKey,
        input: SpendableOutput,
        to: &PublicAddress,
        tombstone: u64,
        seed: u64,
    ) -> Result<ProposedTx, String> {
        let mut b = TransactionBuilder::new(account, TokenId(0), self.fee, tombstone);
        b.add_input(input);
        b.add_output(1_000, to, None);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut decoys = UniformDecoys::new(&self.outputs, seed);
        let tx = b.build(&mut decoys, &mut rng).map_err(|e| e.to_string())?;
        let ring_proofs = ring_proofs(&self.ledger, &tx).map_err(|e| e.to_string())?;
        Ok(ProposedTx { tx, ring_proofs })
    }

    /// The attested channel's configuration (chain id, configuration digest).
    pub fn channel(&self) -> &ChannelConfig {
        &self.channel
    }

    /// The verifier a devnet client uses: the simulated devnet root, the default measurements.
    pub fn verifier() -> Verifier {
        Verifier::new(Policy::simulated(
            mcnode_attest::sim::SimRootKey::devnet().public(),
            default_trusted_measurements(),
        ))
    }

    /// Opens an attested session with the node at `client_url` and proposes `tx`. Returns the
    /// result code and the instant just before `ProposeTx` was sent (the handshake is not
    /// counted in the latency).
    pub async fn submit(
        &self,
        client_url: &str,
        tx: &ProposedTx,
        seed: u8,
    ) -> Result<(ProposeTxResult, Instant), String> {
        let channel = tonic::transport::Endpoint::from_shared(client_url.to_owned())
            .map_err(|e| e.to_string())?
            .connect()
            .await
            .map_err(|e| format!("{client_url}: {e}"))?;
        let mut client = mcnode_api::limits::client_api_client(channel);
        let (hs, msg1) =
            ClientHandshake::start(&self.channel, [seed; 32]).map_err(|e| e.to_string())?;
        let msg2 = client
            .auth(AuthRequest { handshake: msg1 })
            .await
            .map_err(|e| e.to_string())?
            .into_inner()
            .handshake;
        let verifier = Self::verifier();
        let now = crate::cmd::bench::devnet::unix_secs();
        let (mut session, _claims) =
            hs.finish(&msg2, &verifier, now).map_err(|e| format!("attestation: {e}"))?;
        let msgs =
            seal_chunks(&mut session, &tx.to_canonical_bytes()).map_err(|e| e.to_string())?;
        let payload = mcnode_api::convert::channel::payload(session.id(), &msgs);
        let sent = Instant::now();
        let r = client
            .propose_tx(ProposeTxRequest { payload: Some(payload) })
            .await
            .map_err(|e| e.to_string())?
            .into_inner();
        Ok((ProposeTxResult::try_from(r.result).unwrap_or(ProposeTxResult::Unspecified), sent))
    }
}
