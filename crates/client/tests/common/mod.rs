//! A fake node for the wallet tests: an in-memory ledger (mcnode-ledger's `MemoryLedger`) with
//! real blocks signed by node keys, transactions validated by mcnode-tx's rules and put into a
//! block at once (or on demand), and switches to misbehave.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use mcnode_client::{
    LastBlockInfo, NodeApi, NodeError, OutputWithProof, OutputsAnswer, ProposeRefusal, StateFile,
    TrustPolicy, Wallet,
};
use mcnode_crypto::{RistrettoPrivate, SigningIdentity};
use mcnode_enclave::refusal::TxRule;
use mcnode_ledger::{BlockContents, BlockData, BlockSignature, Ledger, MemoryLedger};
use mcnode_tx::address::Network;
use mcnode_tx::validation::{
    FeeConfig, ValidationContext, validate_stateless, validate_with_ledger,
};
use mcnode_tx::{AccountKey, Amount, MembershipProof, TokenId, Tx, TxOut};
use mcnode_types::NodeId;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Minimum fee of token 0 and token 1.
pub const FEE0: u64 = 400;
pub const FEE1: u64 = 10;
/// Signing time put in signatures.
pub const SIGNED_AT: u64 = 1_800_000_000;

/// Runs a future whose awaits are all ready (the fake node never waits).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// How the fake node misbehaves.
#[derive(Default)]
pub struct Faults {
    /// Serve block N with one signature byte flipped.
    pub bad_signature_at: Option<u64>,
    /// Serve block N with one output dropped from its contents.
    pub tampered_contents_at: Option<u64>,
    /// Serve block N with its Merkle root changed (id, contents and signatures left as they are).
    pub tampered_root_at: Option<u64>,
    /// Answer GetBlocks(from) with the blocks from `from + 1`.
    pub skip_one: bool,
    /// Serve block N with these signatures instead of its own.
    pub signatures_at: Option<(u64, Vec<BlockSignature>)>,
    /// Answer GetOutputs with the first output replaced by another one.
    pub forged_decoy: bool,
    /// Refuse every ProposeTx with this code.
    pub refuse: Option<ProposeRefusal>,
}

pub struct FakeNode {
    pub ledger: MemoryLedger,
    pub signers: Vec<SigningIdentity>,
    pub fees: Vec<(TokenId, u64)>,
    pub faults: Faults,
    /// Put each accepted transaction in a block at once.
    pub auto_block: bool,
    pub pool: Vec<Tx>,
    pub proposals: usize,
}

impl FakeNode {
    /// A node whose origin block holds `outputs` (plus 40 decoy outputs to random accounts).
    pub fn new(outputs: Vec<TxOut>, seed: u64) -> Self {
        let mut r = rng(seed ^ 0x5eed_0000);
        let stranger = AccountKey::random(&mut r);
        let mut all = outputs;
        for i in 0..40u64 {
            all.push(out(&stranger.default_address(), 1_000 + i, TokenId(i % 2), &mut r));
        }
        let mut ledger = MemoryLedger::new();
        let contents = BlockContents::new(vec![], all);
        let block = ledger.next_block(&contents).unwrap();
        ledger.append_block(&BlockData { block, contents, signatures: vec![] }).unwrap();
        let signers = (0..3u8).map(|i| SigningIdentity::from_seed(&[i + 1; 32])).collect();
        FakeNode {
            ledger,
            signers,
            fees: vec![(TokenId(0), FEE0), (TokenId(1), FEE1)],
            faults: Faults::default(),
            auto_block: true,
            pool: vec![],
            proposals: 0,
        }
    }

    pub fn signer_ids(&self) -> Vec<NodeId> {
        self.signers.iter().map(|s| NodeId(s.verifying().to_bytes())).collect()
    }

    pub fn policy(&self) -> TrustPolicy {
        let origin = self.ledger.block_header(0).unwrap().unwrap().id;
        TrustPolicy::majority(origin, self.signer_ids())
    }

    /// Appends a block of `key_images` and `outputs`, signed by every signer.
    pub fn append(&mut self, contents: BlockContents) -> BlockData {
        let block = self.ledger.next_block(&contents).unwrap();
        let signatures =
            self.signers.iter().map(|k| BlockSignature::sign(k, &block.id, SIGNED_AT)).collect();
        let data = BlockData { block, contents, signatures };
        self.ledger.append_block(&data).unwrap();
        data
    }

    /// Puts the pooled transactions in one block.
    pub fn form_block(&mut self) -> BlockData {
        let txs = std::mem::take(&mut self.pool);
        let kis = txs.iter().flat_map(|t| t.key_images()).collect();
        let outs = txs.iter().flat_map(|t| t.prefix.outputs.clone()).collect();
        self.append(BlockContents::new(kis, outs))
    }

    /// A block with one output to a stranger (moves the height).
    pub fn filler_block(&mut self, seed: u64) -> BlockData {
        let mut r = rng(seed);
        let a = AccountKey::random(&mut r);
        let o = out(&a.default_address(), 5, TokenId(0), &mut r);
        self.append(BlockContents::new(vec![], vec![o]))
    }

    fn serve(&self, mut b: BlockData) -> BlockData {
        if self.faults.bad_signature_at == Some(b.block.index) {
            b.signatures[0].signature.0[0] ^= 1;
        }
        if let Some((i, sigs)) = &self.faults.signatures_at
            && *i == b.block.index
        {
            b.signatures = sigs.clone();
        }
        if self.faults.tampered_root_at == Some(b.block.index) {
            b.block.root_element.0[0] ^= 1;
        }
        if self.faults.tampered_contents_at == Some(b.block.index) {
            b.contents.outputs.pop();
        }
        b
    }
}

/// An output paying `value` of `token` to `to`.
pub fn out(
    to: &mcnode_tx::PublicAddress,
    value: u64,
    token: TokenId,
    r: &mut ChaCha20Rng,
) -> TxOut {
    TxOut::new(Amount::new(value, token), to, &RistrettoPrivate::random(r), None).unwrap().0
}

impl NodeApi for FakeNode {
    async fn last_block_info(&mut self) -> Result<LastBlockInfo, NodeError> {
        let index = self.ledger.num_blocks().unwrap() - 1;
        Ok(LastBlockInfo { index, minimum_fees: self.fees.clone() })
    }

    async fn get_blocks(&mut self, from: u64, limit: u32) -> Result<Vec<BlockData>, NodeError> {
        let from = if self.faults.skip_one { from + 1 } else { from };
        let blocks = self.ledger.blocks(from, limit as u64).unwrap();
        Ok(blocks.into_iter().map(|b| self.serve(b)).collect())
    }

    async fn get_outputs(
        &mut self,
        indices: &[u64],
        at_block: u64,
    ) -> Result<OutputsAnswer, NodeError> {
        let header = self.ledger.block_header(at_block).unwrap().unwrap();
        let mut outputs: Vec<OutputWithProof> = indices
            .iter()
            .map(|i| OutputWithProof {
                output: self.ledger.output(*i).unwrap().unwrap(),
                proof: self.ledger.membership_proof_at(*i, header.cumulative_txo_count).unwrap(),
            })
            .collect();
        if self.faults.forged_decoy {
            let mut r = rng(99);
            let a = AccountKey::random(&mut r);
            outputs[0].output = out(&a.default_address(), 1, TokenId(0), &mut r);
        }
        Ok(OutputsAnswer { block_index: at_block, root_element: header.root_element, outputs })
    }

    async fn propose_tx(
        &mut self,
        tx: &Tx,
        ring_proofs: &[MembershipProof],
    ) -> Result<(), NodeError> {
        self.proposals += 1;
        if let Some(code) = self.faults.refuse {
            return Err(NodeError::Refused(code));
        }
        // As the enclave does: one proof per ring member, each verifying against the root of
        // the tree size it names.
        let members: Vec<&TxOut> = tx.prefix.inputs.iter().flat_map(|i| &i.ring).collect();
        let proofs_ok = members.len() == ring_proofs.len()
            && members.iter().zip(ring_proofs).all(|(m, p)| {
                let root = self.ledger.merkle_root_at(p.leaf_count).unwrap();
                p.verify(&m.leaf_hash(), &root).is_ok()
            });
        if !proofs_ok {
            return Err(NodeError::Refused(ProposeRefusal::Rejected(TxRule::MembershipProof)));
        }
        let ctx = ValidationContext {
            fees: FeeConfig::new(self.fees.clone()),
            height: self.ledger.num_blocks().unwrap(),
        };
        validate_stateless(tx, &ctx)
            .and_then(|()| validate_with_ledger(tx, &self.ledger))
            .map_err(|e| NodeError::Refused(ProposeRefusal::Rejected(TxRule::from(&e))))?;
        self.pool.push(tx.clone());
        if self.auto_block {
            self.form_block();
        }
        Ok(())
    }
}

/// A wallet for `account` on devnet trusting `node`, storing its state in `dir`.
pub fn wallet(account: &AccountKey, node: &FakeNode, dir: &std::path::Path, name: &str) -> Wallet {
    Wallet::open(
        account.clone(),
        Network::Devnet,
        node.policy(),
        mcnode_client::scan::DEFAULT_SUBADDRESSES,
        StateFile::new(dir.join(name)),
    )
    .unwrap()
}
