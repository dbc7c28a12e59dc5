//! Deterministic fixtures for tests, fuzzing and benchmarks: an in-memory [`LedgerView`], a
//! ring source drawing uniform decoys from it, and helpers to fund accounts and build valid
//! transactions. Not for production: the ledger keeps everything in memory.

use std::collections::{HashMap, HashSet};

use mcnode_crypto::{CompressedPoint, CryptoRng, RistrettoPrivate};
use mcnode_types::Hash32;

use crate::builder::{BuildError, RingSource, SpendableOutput, TransactionBuilder};
use crate::membership::{empty_hash, node_hash};
use crate::tx::Tx;
use crate::validation::{FeeConfig, ValidationContext};
use crate::{
    AccountKey, Amount, KeyImage, LedgerView, LedgerViewError, MembershipProof, TokenId, TxOut,
};

/// Minimum fee the fixtures configure for the native token.
pub const TEST_FEE: u64 = 400;

/// The validation context of the fixtures: token 0 with [`TEST_FEE`], tokens 1 and 2 with fee 1,
/// at height `height`.
pub fn test_context(height: u64) -> ValidationContext {
    ValidationContext {
        fees: FeeConfig::new([(TokenId(0), TEST_FEE), (TokenId(1), 1), (TokenId(2), 1)]),
        height,
    }
}

/// An in-memory ledger of outputs and spent key images, with the Merkle tree of
/// [`crate::membership`] kept level by level.
#[derive(Clone, Debug, Default)]
pub struct InMemoryLedger {
    outputs: Vec<TxOut>,
    levels: Vec<Vec<Hash32>>,
    index: HashMap<CompressedPoint, u64>,
    key_images: HashSet<KeyImage>,
}

impl InMemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        InMemoryLedger::default()
    }

    /// Appends outputs (recomputes the tree).
    pub fn add_outputs(&mut self, outs: impl IntoIterator<Item = TxOut>) {
        for o in outs {
            self.index.insert(o.public_key, self.outputs.len() as u64);
            self.outputs.push(o);
        }
        self.rebuild();
    }

    /// Marks key images spent.
    pub fn add_key_images(&mut self, kis: impl IntoIterator<Item = KeyImage>) {
        self.key_images.extend(kis);
    }

    /// All outputs.
    pub fn outputs(&self) -> &[TxOut] {
        &self.outputs
    }

    fn rebuild(&mut self) {
        let mut levels = vec![self.outputs.iter().map(TxOut::leaf_hash).collect::<Vec<_>>()];
        let depth = crate::membership::tree_depth(self.outputs.len() as u64);
        for h in 0..depth as usize {
            let next = levels[h]
                .chunks(2)
                .map(|p| node_hash(&p[0], p.get(1).unwrap_or(&empty_hash())))
                .collect();
            levels.push(next);
        }
        self.levels = levels;
    }
}

impl LedgerView for InMemoryLedger {
    fn num_outputs(&self) -> Result<u64, LedgerViewError> {
        Ok(self.outputs.len() as u64)
    }

    fn merkle_root(&self) -> Result<Hash32, LedgerViewError> {
        Ok(self.levels.last().and_then(|l| l.first().copied()).unwrap_or_else(empty_hash))
    }

    fn output_index(&self, public_key: &CompressedPoint) -> Result<Option<u64>, LedgerViewError> {
        Ok(self.index.get(public_key).copied())
    }

    fn membership_proof(&self, index: u64) -> Result<MembershipProof, LedgerViewError> {
        if index >= self.outputs.len() as u64 {
            return Err(LedgerViewError::NoSuchOutput { index });
        }
        let depth = crate::membership::tree_depth(self.outputs.len() as u64) as usize;
        let siblings = (0..depth)
            .map(|h| {
                self.levels[h].get(((index >> h) ^ 1) as usize).copied().unwrap_or_else(empty_hash)
            })
            .collect();
        Ok(MembershipProof { index, leaf_count: self.outputs.len() as u64, siblings })
    }

    fn contains_key_image(&self, key_image: &KeyImage) -> Result<bool, LedgerViewError> {
        Ok(self.key_images.contains(key_image))
    }
}

/// Draws decoys uniformly (without replacement) from a ledger's outputs, with a seeded
/// SplitMix64 generator (decoy choice needs uniformity, not secrecy, in these fixtures).
#[derive(Debug)]
pub struct UniformDecoys<'a> {
    outputs: &'a [TxOut],
    state: u64,
}

impl<'a> UniformDecoys<'a> {
    /// Decoys from `outputs`, seeded with `seed`.
    pub fn new(outputs: &'a [TxOut], seed: u64) -> Self {
        UniformDecoys { outputs, state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl RingSource for UniformDecoys<'_> {
    fn decoys(&mut self, real: &TxOut, count: usize) -> Vec<TxOut> {
        self.decoys_excluding(real, count, &HashSet::new())
    }

    fn decoys_excluding(
        &mut self,
        real: &TxOut,
        count: usize,
        exclude: &HashSet<CompressedPoint>,
    ) -> Vec<TxOut> {
        let mut picked: Vec<TxOut> = Vec::with_capacity(count);
        let n = self.outputs.len() as u64;
        // Bounded attempts: a ledger too small for `count` distinct decoys returns fewer, and
        // the builder reports it.
        for _ in 0..count * 64 {
            if picked.len() == count || n == 0 {
                break;
            }
            let c = self.outputs[(self.next_u64() % n) as usize];
            if c.target_key != real.target_key
                && !exclude.contains(&c.target_key)
                && !picked.iter().any(|p| p.target_key == c.target_key)
            {
                picked.push(c);
            }
        }
        picked
    }
}

/// Creates `values.len()` outputs to `account`'s default address; returns them as spendable.
pub fn fund<R: CryptoRng>(
    account: &AccountKey,
    values: &[u64],
    token: TokenId,
    rng: &mut R,
) -> Vec<SpendableOutput> {
    values
        .iter()
        .filter_map(|&v| {
            let r = RistrettoPrivate::random(rng);
            let amount = Amount::new(v, token);
            TxOut::new(amount, &account.default_address(), &r, None)
                .ok()
                .map(|(tx_out, _)| SpendableOutput { tx_out, subaddress_index: 0, amount })
        })
        .collect()
}

/// Random outputs to random accounts (decoy material).
pub fn random_outputs<R: CryptoRng>(n: usize, token: TokenId, rng: &mut R) -> Vec<TxOut> {
    let acct = AccountKey::random(rng);
    fund(&acct, &vec![1_000; n], token, rng).into_iter().map(|s| s.tx_out).collect()
}

/// A ledger with decoys and funded inputs, ready to build valid transactions.
#[derive(Debug)]
pub struct Fixture {
    /// The ledger.
    pub ledger: InMemoryLedger,
    /// The spending account.
    pub sender: AccountKey,
    /// The receiving account.
    pub recipient: AccountKey,
}

impl Fixture {
    /// A ledger of `decoys` random outputs; `sender` and `recipient` random.
    pub fn new<R: CryptoRng>(decoys: usize, rng: &mut R) -> Self {
        let mut ledger = InMemoryLedger::new();
        ledger.add_outputs(random_outputs(decoys, TokenId(0), rng));
        Fixture { ledger, sender: AccountKey::random(rng), recipient: AccountKey::random(rng) }
    }

    /// Adds outputs of `values` (token 0) owned by the sender to the ledger.
    pub fn fund_sender<R: CryptoRng>(
        &mut self,
        values: &[u64],
        rng: &mut R,
    ) -> Vec<SpendableOutput> {
        let s = fund(&self.sender, values, TokenId(0), rng);
        self.ledger.add_outputs(s.iter().map(|s| s.tx_out));
        s
    }

    /// Builds a valid transaction of token 0 spending `inputs`, paying `payments` outputs of
    /// value 1 to the recipient (plus change), fee [`TEST_FEE`], tombstone `height + 100`.
    pub fn build<R: CryptoRng>(
        &self,
        inputs: &[SpendableOutput],
        payments: usize,
        height: u64,
        rng: &mut R,
    ) -> Result<Tx, BuildError> {
        let mut b = TransactionBuilder::new(&self.sender, TokenId(0), TEST_FEE, height + 100);
        for i in inputs {
            b.add_input(i.clone());
        }
        for _ in 0..payments {
            b.add_output(1, &self.recipient.default_address(), None);
        }
        let mut decoys = UniformDecoys::new(self.ledger.outputs(), rng.next_u64());
        b.build(&mut decoys, rng)
    }
}
