//! Payments: choose inputs, draw and verify decoys, build with `mcnode_tx`'s builder, submit,
//! and follow the transaction until its key images appear in a block or its tombstone passes.
//!
//! What a payment guarantees before it reaches the node: the token is accepted by the network
//! and the fee is at least the node's minimum for it; the tombstone is above the height the
//! wallet verified; the inputs are unspent and not used by a pending transaction; every decoy
//! is proven to be in the verified ledger; the change goes back to the wallet's change
//! subaddress (every output carries an encrypted memo, change included).

use std::collections::{HashMap, HashSet};

use mcnode_crypto::{CompressedPoint, CryptoRng};
use mcnode_enclave::refusal::TxRule;
use mcnode_tx::builder::{SpendableOutput, TransactionBuilder, select_inputs};
use mcnode_tx::ring::RING_SIZE;
use mcnode_tx::{KeyImage, MembershipProof, PublicAddress, TokenId};
use mcnode_types::Hash32;

use crate::decoys::{DecoyPool, draw_indices, shuffle, verify_outputs};
use crate::error::ClientError;
use crate::node_api::{NodeApi, NodeError, ProposeRefusal};
use crate::state::PendingTx;
use crate::wallet::Wallet;

/// Tombstone distance used when the caller sets none: 50 blocks (about four minutes at one
/// block per five seconds).
pub const DEFAULT_TOMBSTONE_BLOCKS: u64 = 50;

/// A payment to make.
#[derive(Clone, Debug)]
pub struct Payment {
    /// The recipient.
    pub to: PublicAddress,
    /// The amount, in the token's base units.
    pub amount: u64,
    /// The token.
    pub token: TokenId,
    /// The fee; `None` pays the node's minimum for the token.
    pub fee: Option<u64>,
    /// The tombstone block; `None` is the height plus [`DEFAULT_TOMBSTONE_BLOCKS`].
    pub tombstone: Option<u64>,
    /// A memo for the recipient (64 bytes).
    pub memo: Option<[u8; mcnode_tx::tx_out::MEMO_DATA_LEN]>,
}

/// A transaction the node accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// Its hash.
    pub tx_hash: Hash32,
    /// Its key images.
    pub key_images: Vec<KeyImage>,
    /// The fee paid.
    pub fee: u64,
    /// The tombstone block.
    pub tombstone: u64,
}

/// Where a submitted transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inclusion {
    /// Its key images are in this block.
    Included {
        /// The block index.
        block: u64,
    },
    /// Not yet in a block; the tombstone has not passed.
    Pending,
    /// The tombstone passed without inclusion: the inputs are spendable again.
    Expired,
}

fn refusal_to_error(
    e: NodeError,
    token: TokenId,
    fee: u64,
    minimum: u64,
    tombstone: u64,
    height: u64,
) -> ClientError {
    match e {
        NodeError::Refused(ProposeRefusal::Rejected(TxRule::FeeTooLow)) => {
            ClientError::FeeBelowMinimum { token, fee, minimum }
        }
        NodeError::Refused(ProposeRefusal::Rejected(TxRule::TombstoneExpired)) => {
            ClientError::TombstonePassed { tombstone, height }
        }
        other => ClientError::Node(other),
    }
}

impl Wallet {
    /// Syncs, builds the payment, submits it and records it as pending (saved). Randomness
    /// (output secrets, decoys, blindings) comes from `rng`.
    pub async fn pay<A: NodeApi, R: CryptoRng>(
        &mut self,
        api: &mut A,
        payment: &Payment,
        rng: &mut R,
    ) -> Result<Submitted, ClientError> {
        let info = api.last_block_info().await?;
        self.sync(api).await?;
        let tip = self.state.tip.ok_or(ClientError::NotSynced)?;
        let height = self.state.height();
        let token = payment.token;
        let minimum = info.minimum_fee(token).ok_or(ClientError::UnknownToken { token })?;
        let fee = payment.fee.unwrap_or(minimum);
        if fee < minimum {
            return Err(ClientError::FeeBelowMinimum { token, fee, minimum });
        }
        let tombstone = payment.tombstone.unwrap_or(height + DEFAULT_TOMBSTONE_BLOCKS);
        if tombstone <= height {
            return Err(ClientError::TombstonePassed { tombstone, height });
        }
        let needed = payment.amount as u128 + fee as u128;
        let candidates: Vec<SpendableOutput> = self
            .state
            .spendable(token)
            .map(|o| SpendableOutput {
                tx_out: o.tx_out,
                subaddress_index: o.subaddress,
                amount: o.amount,
            })
            .collect();
        let spendable: u128 = candidates.iter().map(|c| c.amount.value as u128).sum();
        if spendable < needed {
            return Err(ClientError::InsufficientFunds { token, spendable, needed });
        }
        let needed64 = u64::try_from(needed).map_err(|_| ClientError::InsufficientFunds {
            token,
            spendable,
            needed,
        })?;
        let inputs = select_inputs(&candidates, needed64)
            .ok_or(ClientError::TooManyInputs { token, needed })?;

        // Real inputs and decoys are asked for in one shuffled request (see `decoys`).
        let real: Vec<u64> = self
            .state
            .owned
            .iter()
            .filter(|o| inputs.iter().any(|i| i.tx_out.target_key == o.tx_out.target_key))
            .map(|o| o.global_index)
            .collect();
        let real_set: HashSet<u64> = real.iter().copied().collect();
        let count = inputs.len() * (RING_SIZE - 1);
        let mut indices = draw_indices(rng, tip.cumulative_txo_count, count, &real_set)?;
        indices.extend(&real);
        shuffle(rng, &mut indices);
        let answer = api.get_outputs(&indices, tip.index).await?;
        let proven = verify_outputs(&indices, &tip, answer)?;
        let proofs: HashMap<CompressedPoint, MembershipProof> =
            proven.iter().map(|p| (p.output.target_key, p.proof.clone())).collect();
        let decoys = indices
            .iter()
            .zip(proven)
            .filter(|(i, _)| !real_set.contains(i))
            .map(|(_, p)| p.output)
            .collect();
        let mut pool = DecoyPool::new(decoys);

        let mut builder = TransactionBuilder::new(&self.account, token, fee, tombstone);
        for input in inputs {
            builder.add_input(input);
        }
        builder.add_output(payment.amount, &payment.to, payment.memo);
        let tx = builder.build(&mut pool, rng)?;
        let ring_proofs = tx
            .prefix
            .inputs
            .iter()
            .flat_map(|i| &i.ring)
            .map(|m| proofs.get(&m.target_key).cloned().ok_or(ClientError::MissingRingProof))
            .collect::<Result<Vec<_>, _>>()?;

        api.propose_tx(&tx, &ring_proofs)
            .await
            .map_err(|e| refusal_to_error(e, token, fee, minimum, tombstone, height))?;
        let submitted =
            Submitted { tx_hash: tx.hash(), key_images: tx.key_images(), fee, tombstone };
        self.state.pending.push(PendingTx {
            tx_hash: submitted.tx_hash,
            key_images: submitted.key_images.clone(),
            tombstone_block: tombstone,
        });
        self.store.save(&self.state)?;
        Ok(submitted)
    }

    /// Where `submitted` stands in the verified ledger (sync first to learn of new blocks).
    pub fn inclusion(&self, submitted: &Submitted) -> Inclusion {
        let block = self
            .state
            .owned
            .iter()
            .find(|o| submitted.key_images.contains(&o.key_image))
            .and_then(|o| o.spent_in);
        match block {
            Some(block) => Inclusion::Included { block },
            None if self.state.pending.iter().any(|p| p.tx_hash == submitted.tx_hash) => {
                Inclusion::Pending
            }
            None => Inclusion::Expired,
        }
    }

    /// Syncs and waits until `submitted` is included or expired, calling `pause` between
    /// polls (the caller decides how long: time is not read here).
    pub async fn await_inclusion<A, P, F>(
        &mut self,
        api: &mut A,
        submitted: &Submitted,
        mut pause: P,
    ) -> Result<Inclusion, ClientError>
    where
        A: NodeApi,
        P: FnMut() -> F,
        F: std::future::Future<Output = ()>,
    {
        loop {
            self.sync(api).await?;
            match self.inclusion(submitted) {
                Inclusion::Pending => pause().await,
                done => return Ok(done),
            }
        }
    }
}
