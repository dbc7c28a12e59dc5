//! Shared fixtures: a ledger with decoys and a funded sender, a client that builds a
//! 1-input/2-output transaction with distinctive amounts, and an initialised enclave.

#![allow(clippy::unwrap_used, clippy::panic, dead_code)]

use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Policy, TeeType, TrustAnchor, Verifier};
use mcnode_crypto::SigningIdentity;
use mcnode_enclave::call::{config_digest, node_id_proof};
use mcnode_enclave::channel::{ChannelConfig, ClientHandshake, Session};
use mcnode_enclave::host_types::WellFormedEncryptedTx;
use mcnode_enclave::host_types::{FeeEntry, ProposedTx};
use mcnode_enclave::measurement::{default_trusted_measurements, release_program};
use mcnode_enclave::{
    Enclave, FormBlockInputs, InProcessEnclave, InitParams, PeerPolicy, TrustedEnclave, host,
};
use mcnode_ledger::testkit::{make_block, synthetic_output};
use mcnode_ledger::{BlockContents, Ledger, MemoryLedger};
use mcnode_tx::builder::{SpendableOutput, TransactionBuilder};
use mcnode_tx::testkit::{UniformDecoys, fund, random_outputs};
use mcnode_tx::tx::Tx;
use mcnode_tx::{AccountKey, TokenId, TxOut};
use mcnode_types::{Encode, NodeId};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub const NOW: u64 = 1_800_000_000;
pub const CHAIN: &str = "local";
pub const MIN_FEE: u64 = 400;
/// Distinctive values, so that searching bytes for them cannot match by accident.
pub const INPUT_VALUE: u64 = 0x0000_0A1B_2C3D_4E5F;
pub const PAYMENT: u64 = 0x0000_0123_4567_89AB;
pub const FEE: u64 = 0x0000_0000_0F1E_2D3C;

pub fn fees() -> Vec<FeeEntry> {
    vec![
        FeeEntry { token: TokenId(0), minimum_fee: MIN_FEE },
        FeeEntry { token: TokenId(1), minimum_fee: 1 },
    ]
}

pub struct World {
    pub ledger: MemoryLedger,
    pub sender: AccountKey,
    pub recipient: AccountKey,
    pub fee_account: AccountKey,
    pub funds: Vec<SpendableOutput>,
    /// The valid outputs (decoys are drawn from these only).
    pub valid: Vec<TxOut>,
    pub rng: ChaCha20Rng,
}

/// A ledger whose origin block holds `padding` synthetic outputs (hashes, not points: never
/// drawn as decoys; they push ring indices to large, distinctive numbers), `decoys` random
/// outputs and `funded` outputs of [`INPUT_VALUE`] owned by the sender.
pub fn world(padding: u64, decoys: usize, funded: usize) -> World {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let sender = AccountKey::random(&mut rng);
    let recipient = AccountKey::random(&mut rng);
    let fee_account = AccountKey::random(&mut rng);
    let funds = fund(&sender, &vec![INPUT_VALUE; funded], TokenId(0), &mut rng);
    let mut valid: Vec<TxOut> = random_outputs(decoys, TokenId(0), &mut rng);
    valid.extend(funds.iter().map(|s| s.tx_out));
    let mut outs: Vec<TxOut> = (0..padding).map(synthetic_output).collect();
    outs.extend(valid.iter().copied());
    let mut ledger = MemoryLedger::new();
    let origin = make_block(&ledger, BlockContents::new(vec![], outs), &[], NOW).unwrap();
    ledger.append_block(&origin).unwrap();
    World { ledger, sender, recipient, fee_account, funds, valid, rng }
}

impl World {
    /// A 1-input/2-output transaction (payment + change) spending `funds[i]`.
    pub fn tx(&mut self, i: usize) -> Tx {
        let height = self.ledger.num_blocks().unwrap();
        self.tx_with_tombstone(i, height + 100)
    }

    /// [`World::tx`] with another tombstone block.
    pub fn tx_with_tombstone(&mut self, i: usize, tombstone: u64) -> Tx {
        let mut b = TransactionBuilder::new(&self.sender, TokenId(0), FEE, tombstone);
        b.add_input(self.funds[i].clone());
        b.add_output(PAYMENT, &self.recipient.default_address(), None);
        let mut decoys = UniformDecoys::new(&self.valid, 7 + i as u64);
        b.build(&mut decoys, &mut self.rng).unwrap()
    }

    pub fn proposal(&mut self, i: usize) -> ProposedTx {
        let tx = self.tx(i);
        self.propose(tx)
    }

    pub fn proposal_with_tombstone(&mut self, i: usize, tombstone: u64) -> ProposedTx {
        let tx = self.tx_with_tombstone(i, tombstone);
        self.propose(tx)
    }

    /// `tx` with the membership proofs of its ring members in the current ledger.
    pub fn propose(&self, tx: Tx) -> ProposedTx {
        let ring_proofs = host::ring_proofs(&self.ledger, &tx).unwrap();
        ProposedTx { tx, ring_proofs }
    }

    /// The channel configuration of a client or peer configured like [`World::init_params`].
    pub fn channel_config(&self) -> ChannelConfig {
        let digest =
            config_digest(CHAIN, &fees(), &self.fee_account.default_address(), &peer_policy());
        ChannelConfig::new(CHAIN, digest)
    }

    /// `Init` parameters with the test peer policy and the ledger's tip, for node 0.
    pub fn init_params(&self, sealed: Option<Vec<u8>>) -> InitParams {
        self.init_with_policy(sealed, peer_policy())
    }

    /// `Init` parameters for node `n` ([`node_key`]).
    pub fn init_node(&self, n: u8, sealed: Option<Vec<u8>>) -> InitParams {
        let (node_id, node_id_proof) = node_id_proof(&node_key(n), CHAIN);
        InitParams { node_id, node_id_proof, ..self.init_params(sealed) }
    }

    /// `Init` parameters for node `n` with peer policy `policy`.
    pub fn init_node_with_policy(&self, n: u8, policy: PeerPolicy) -> InitParams {
        let (node_id, node_id_proof) = node_id_proof(&node_key(n), CHAIN);
        InitParams { node_id, node_id_proof, ..self.init_with_policy(None, policy) }
    }

    pub fn init_with_policy(&self, sealed: Option<Vec<u8>>, policy: PeerPolicy) -> InitParams {
        let fee_recipient = self.fee_account.default_address();
        let (node_id, node_id_proof) = node_id_proof(&node_key(0), CHAIN);
        InitParams {
            chain_id: CHAIN.to_owned(),
            config_digest: config_digest(CHAIN, &fees(), &fee_recipient, &policy),
            fees: fees(),
            fee_recipient,
            peer_policy: policy,
            node_id,
            node_id_proof,
            tip: self.ledger.last_block().unwrap(),
            sealed_signing_key: sealed,
            now: NOW,
            evidence_validity_secs: 86_400,
        }
    }
}

pub fn root() -> SimRootKey {
    SimRootKey::from_seed([1; 32])
}

pub fn platform() -> SimPlatform {
    SimPlatform::new(&root(), [2; 32], 0, u64::MAX)
}

pub fn core() -> TrustedEnclave {
    TrustedEnclave::new(platform(), release_program())
}

/// The operator's peer policy of the tests: the test root, this release, simulation allowed.
pub fn peer_policy() -> PeerPolicy {
    PeerPolicy::new(
        vec![TrustAnchor { tee: TeeType::Sim, root_key: root().public() }],
        &default_trusted_measurements(),
        true,
    )
}

/// `FormBlock` inputs on the ledger's tip for `txs` whose ring proofs are against the ledger's
/// current size (as in these tests).
pub fn form_inputs(w: &World, txs: Vec<WellFormedEncryptedTx>) -> FormBlockInputs {
    let size = w.ledger.num_outputs().unwrap();
    host::form_block_inputs(&w.ledger, txs, [size], NOW).unwrap()
}

/// The message-signing key of test node `n`.
pub fn node_key(n: u8) -> SigningIdentity {
    SigningIdentity::from_seed(&[n; 32])
}

/// The node id of test node `n`.
pub fn node(n: u8) -> NodeId {
    NodeId(node_key(n).verifying().to_bytes())
}

/// An initialised in-process enclave serving node `entropy` ([`node`]); returns it and its
/// sealed signing key.
pub fn enclave(w: &World, entropy: u8) -> (InProcessEnclave, Vec<u8>) {
    let mut e = InProcessEnclave::new(core(), [entropy; 32]);
    let (sealed, _) = e.init(w.init_node(entropy, None)).unwrap();
    (e, sealed)
}

pub fn client_verifier(root_public: [u8; 32]) -> Verifier {
    Verifier::new(Policy::simulated(root_public, default_trusted_measurements()))
}

/// Opens an attested client session to `e`, for a client configured as `cfg`.
pub fn client_session(
    e: &mut impl Enclave,
    cfg: &ChannelConfig,
    root_public: [u8; 32],
    seed: u8,
) -> Session {
    let (hs, msg1) = ClientHandshake::start(cfg, [seed; 32]).unwrap();
    let (_, msg2) = e.client_accept(msg1).unwrap();
    hs.finish(&msg2, &client_verifier(root_public), NOW).unwrap().0
}

pub fn encode<T: Encode>(t: &T) -> Vec<u8> {
    t.to_canonical_bytes()
}

/// Runs one transaction from the client to an appended block; returns the block's index.
pub fn one_block(
    w: &mut World,
    e: &mut impl Enclave,
    fund: usize,
    seed: u8,
    root_public: [u8; 32],
) -> u64 {
    let mut session = client_session(e, &w.channel_config(), root_public, seed);
    let proposal = w.proposal(fund);
    let msg = session.seal(&encode(&proposal)).unwrap();
    let ctx = e.client_tx_propose(vec![msg]).unwrap();
    assert_eq!(ctx.tx_hash, proposal.tx.hash());
    assert_eq!(ctx.key_images, proposal.tx.key_images());
    // Host checks through its ledger: key images unspent, outputs new.
    for ki in &ctx.key_images {
        assert_eq!(w.ledger.key_image_block(ki).unwrap(), None);
    }
    for pk in &ctx.output_public_keys {
        assert_eq!(w.ledger.output_index(pk).unwrap(), None);
    }
    let height = w.ledger.num_blocks().unwrap();
    let highest = host::highest_proof(&w.ledger, &ctx).unwrap();
    let (wctx, wtx) = e.tx_is_well_formed(ctx.encrypted, height, highest).unwrap();
    assert_eq!(wctx.tx_hash, proposal.tx.hash());
    assert_eq!(wctx.priority, FEE * 128 / MIN_FEE);
    assert_eq!(wctx.tombstone, proposal.tx.prefix.tombstone_block);
    assert_eq!(wctx.leaf_count, ctx.leaf_count);
    let inputs = host::form_block_inputs(&w.ledger, vec![wtx], [wctx.leaf_count], NOW + 5).unwrap();
    let formed = e.form_block(inputs).unwrap();
    assert_eq!(formed.excluded, vec![]);
    let block = formed.block;
    // Rings, signatures and boundaries are gone: only key images and outputs (+ fee output).
    assert_eq!(block.contents.key_images, proposal.tx.key_images());
    assert_eq!(block.contents.outputs.len(), proposal.tx.prefix.outputs.len() + 1);
    for o in &proposal.tx.prefix.outputs {
        assert!(block.contents.outputs.contains(o));
    }
    let fee_out =
        block.contents.outputs.iter().find(|o| !proposal.tx.prefix.outputs.contains(o)).unwrap();
    let owned = fee_out.view(&w.fee_account, 0).unwrap();
    assert_eq!((owned.amount.value, owned.amount.token_id), (FEE, TokenId(0)));
    let signer = e.identity().unwrap().block_signer;
    assert_eq!(block.signatures.len(), 1);
    assert_eq!(block.signatures[0].signer, signer);
    block.signatures[0].verify(&block.block.id).unwrap();
    w.ledger.append_block(&block).unwrap();
    w.ledger.verify().unwrap();
    assert!(e.client_close(session.id()).unwrap());
    block.block.index
}
