//! The deterministic fixture of `mcnode bench enclave`: a ledger with decoys, a 1-input/2-output
//! transaction with its ring proofs and the host's proof of its highest ring member, `Init`
//! parameters, and a helper that puts the transaction into an enclave's cache through an
//! attested client session. Benchmark data only (everything is seeded); it lives here, not in
//! `mcnode-enclave`'s API, so no production caller can reach it.

use mcnode_attest::{Policy, Verifier};
use mcnode_ledger::testkit::make_block;
use mcnode_ledger::{BlockContents, Ledger, LedgerError, MemoryLedger};
use mcnode_tx::builder::{BuildError, TransactionBuilder};
use mcnode_tx::testkit::{UniformDecoys, fund, random_outputs};
use mcnode_tx::validation::{FeeConfig, ValidationContext};
use mcnode_tx::{AccountKey, TokenId, TxOut};
use mcnode_types::Encode;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use mcnode_enclave::api::{BoundaryError, Enclave};
use mcnode_enclave::call::{InitParams, config_digest};
use mcnode_enclave::channel::{ChannelConfig, ChannelError, ClientHandshake};
use mcnode_enclave::chunks::seal_chunks;
use mcnode_enclave::host::{self, HostError};
use mcnode_enclave::host_types::{FeeEntry, HighestProof, LocallyEncryptedTx, ProposedTx};
use mcnode_enclave::measurement::default_trusted_measurements;
use mcnode_enclave::peer_policy::PeerPolicy;

/// Chain id of the fixture.
pub const CHAIN: &str = "bench";
/// Host time of the fixture.
pub const NOW: u64 = 1_800_000_000;
/// Minimum fee of token 0.
pub const MIN_FEE: u64 = 400;

/// Why a fixture could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// Ledger.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Host helper.
    #[error(transparent)]
    Host(#[from] HostError),
    /// Transaction builder.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Channel.
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// Boundary.
    #[error(transparent)]
    Boundary(#[from] BoundaryError),
}

/// A proposed transaction ready for `TxsAreWellFormed`.
#[derive(Debug)]
pub struct BoundaryFixture {
    /// The transaction and its ring proofs.
    pub proposal: ProposedTx,
    /// Its encoded size.
    pub size: usize,
    /// The host's proof of its highest ring member.
    pub highest: HighestProof,
    /// `Init` parameters.
    pub params: InitParams,
    /// The validation context (height 1).
    pub context: ValidationContext,
}

impl BoundaryFixture {
    /// A ledger of `decoys` random outputs plus one funded output; a 1-input/2-output
    /// transaction spending it.
    pub fn new(decoys: usize) -> Result<BoundaryFixture, FixtureError> {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let sender = AccountKey::random(&mut rng);
        let funds = fund(&sender, &[1_000_000], TokenId(0), &mut rng);
        let mut valid: Vec<TxOut> = random_outputs(decoys, TokenId(0), &mut rng);
        valid.extend(funds.iter().map(|s| s.tx_out));
        let mut ledger = MemoryLedger::new();
        let origin = make_block(&ledger, BlockContents::new(vec![], valid.clone()), &[], 0)?;
        ledger.append_block(&origin)?;
        let mut b = TransactionBuilder::new(&sender, TokenId(0), MIN_FEE, 100);
        for f in &funds {
            b.add_input(f.clone());
        }
        b.add_output(1234, &AccountKey::random(&mut rng).default_address(), None);
        let tx = b.build(&mut UniformDecoys::new(&valid, 3), &mut rng)?;
        let ring_proofs = host::ring_proofs(&ledger, &tx)?;
        let proposal = ProposedTx { tx, ring_proofs };
        let size = proposal.to_canonical_bytes().len();
        let highest_index = proposal.ring_proofs.iter().map(|p| p.index).max().unwrap_or(0);
        let output = ledger
            .output(highest_index)?
            .ok_or(HostError::NoSuchOutput { index: highest_index })?;
        let highest = HighestProof { output, proof: ledger.membership_proof(highest_index)? };
        let fees = vec![FeeEntry { token: TokenId(0), minimum_fee: MIN_FEE }];
        let fee_recipient = sender.default_address();
        let node_key = mcnode_crypto::SigningIdentity::from_seed(&[0x4e; 32]);
        let (node_id, node_id_proof) = mcnode_enclave::call::node_id_proof(&node_key, CHAIN);
        let params = InitParams {
            chain_id: CHAIN.to_owned(),
            config_digest: config_digest(CHAIN, &fees, &fee_recipient, &PeerPolicy::default()),
            fees,
            fee_recipient,
            // The benchmarks talk to no peer: trust none.
            peer_policy: PeerPolicy::default(),
            node_id,
            node_id_proof,
            tip: ledger.last_block()?,
            sealed_signing_key: None,
            now: NOW,
            evidence_validity_secs: 3600,
        };
        let context =
            ValidationContext { fees: FeeConfig::new([(TokenId(0), MIN_FEE)]), height: 1 };
        Ok(BoundaryFixture { proposal, size, highest, params, context })
    }

    /// Initialises `e`, opens a client session verified against the simulated root
    /// `sim_root`, proposes the transaction and returns its cached ciphertext.
    pub fn cache_in(
        &self,
        e: &mut impl Enclave,
        sim_root: [u8; 32],
    ) -> Result<LocallyEncryptedTx, FixtureError> {
        e.init(self.params.clone())?;
        let cfg = ChannelConfig::new(CHAIN, self.params.config_digest);
        let (hs, msg1) = ClientHandshake::start(&cfg, [9; 32])?;
        let (_, msg2) = e.client_accept(msg1)?;
        let verifier = Verifier::new(Policy::simulated(sim_root, default_trusted_measurements()));
        let (mut s, _) = hs.finish(&msg2, &verifier, NOW)?;
        let ctx = e.client_tx_propose(seal_chunks(&mut s, &self.proposal.to_canonical_bytes())?)?;
        Ok(ctx.encrypted)
    }
}
