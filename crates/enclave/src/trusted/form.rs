//! Forming a block inside the enclave (MobileCoin `form_block`): decrypt the agreed
//! well-formed transactions, re-check them against the parent block (which must be the tip the
//! enclave tracks, see [`super::chain`]): the tombstone against the new block's index, every
//! ring member's membership proof against the parent's one root (through a host prefix proof),
//! no key image or output shared by two of them. A transaction failing any of these is left
//! out and reported ([`Excluded`]); nothing fails open. Then drop rings, signatures, proofs
//! and transaction boundaries, add fee outputs, sort key images and outputs
//! (`BlockContents::new`), compute the Merkle root after the new outputs from the host's
//! frontier, and sign the header with the enclave's block-signing key.
//!
//! Fee outputs: `min(configured tokens, transactions)` of them (at least one when there are
//! transactions), paying each token's total fees to the configured fee address; tokens without
//! fees in this block fill the remaining slots with zero-value outputs, so the number of fee
//! outputs does not reveal how many tokens the block's transactions used (as MobileCoin does).
//! Their secrets are derived, not drawn, so enclaves forming the same block agree on its id.

use std::collections::{BTreeMap, HashMap, HashSet};

use mcnode_crypto::{CompressedPoint, RistrettoPrivate, SigningIdentity, hash_to_scalar};
use mcnode_ledger::block::BLOCK_VERSION;
use mcnode_ledger::{Block, BlockContents, BlockData, BlockSignature};
use mcnode_tx::membership::{empty_hash, node_hash, tree_depth};
use mcnode_tx::tx::Tx;
use mcnode_tx::validation::FeeConfig;
use mcnode_tx::{Amount, KeyImage, PublicAddress, TokenId, TxOut};
use mcnode_types::{Encode, Hash32};
use zeroize::Zeroizing;

use super::txs;
use crate::host_types::{Excluded, FormedBlock, Frontier, ProposedTx};
use crate::refusal::{EnclaveError, TxRule};

/// The Merkle root over the `n` outputs summarised by `frontier` followed by `new_leaves`
/// (the tree of `mcnode_tx::membership`). `frontier` must verify against `old_root` for the
/// last of the `n` leaves.
pub fn root_after(
    n: u64,
    old_root: &Hash32,
    frontier: Option<&Frontier>,
    new_leaves: &[Hash32],
) -> Result<Hash32, EnclaveError> {
    let path = match (n, frontier) {
        (0, _) => Vec::new(),
        (_, None) => return Err(EnclaveError::BadFrontier),
        (_, Some(f)) => {
            if f.proof.index != n - 1 || f.proof.leaf_count != n {
                return Err(EnclaveError::BadFrontier);
            }
            f.proof.verify(&f.last_leaf, old_root).map_err(|_| EnclaveError::BadFrontier)?;
            // Path node hashes of leaf n-1, heights 0..=depth(n).
            let mut path = vec![f.last_leaf];
            for (h, sib) in f.proof.siblings.iter().enumerate() {
                let acc = path[h];
                path.push(if ((n - 1) >> h) & 1 == 0 {
                    node_hash(&acc, sib)
                } else {
                    node_hash(sib, &acc)
                });
            }
            path
        }
    };
    let total = n.checked_add(new_leaves.len() as u64).ok_or(EnclaveError::BadFrontier)?;
    if total == 0 {
        return Ok(empty_hash());
    }
    let t = Tree { n, path: &path, siblings: frontier.map(|f| &f.proof.siblings[..]), new_leaves };
    t.node(tree_depth(total), 0, total)
}

struct Tree<'a> {
    n: u64,
    path: &'a [Hash32],
    siblings: Option<&'a [Hash32]>,
    new_leaves: &'a [Hash32],
}

impl Tree<'_> {
    /// Hash of the subtree at height `h`, position `pos`, in a tree of `total` leaves.
    fn node(&self, h: u32, pos: u64, total: u64) -> Result<Hash32, EnclaveError> {
        let start = pos.checked_shl(h).ok_or(EnclaveError::BadFrontier)?;
        let size = 1u64.checked_shl(h).ok_or(EnclaveError::BadFrontier)?;
        let end = start.saturating_add(size);
        if start >= total {
            return Ok(empty_hash());
        }
        if end <= self.n {
            // A complete old subtree: the path node of leaf n-1 or its left sibling.
            let last = (self.n - 1) >> h;
            if pos == last {
                return self.path.get(h as usize).copied().ok_or(EnclaveError::BadFrontier);
            }
            if pos == last ^ 1 {
                return self
                    .siblings
                    .and_then(|s| s.get(h as usize))
                    .copied()
                    .ok_or(EnclaveError::BadFrontier);
            }
            return Err(EnclaveError::BadFrontier);
        }
        if h == 0 {
            let i = (start - self.n) as usize;
            return self.new_leaves.get(i).copied().ok_or(EnclaveError::BadFrontier);
        }
        let left = self.node(h - 1, pos * 2, total)?;
        let right = self.node(h - 1, pos * 2 + 1, total)?;
        Ok(node_hash(&left, &right))
    }
}

/// Domain tag of the fee outputs' one-time secrets.
pub const FEE_OUTPUT_DOMAIN: &[u8] = b"mcnode-fee-output-v1";
/// [`FEE_OUTPUT_DOMAIN`] as the hash-to-scalar tag (same bytes).
const FEE_OUTPUT_TAG: mcnode_crypto::DomainTag<'static> =
    mcnode_crypto::DomainTag::new(b"mcnode-fee-output-v1");

/// Everything `form_block` needs from the enclave's state.
pub struct Former<'a> {
    /// Configured tokens.
    pub fees: &'a FeeConfig,
    /// Configured tokens in order (the fee output slots).
    pub tokens: &'a [TokenId],
    /// Fee address.
    pub fee_recipient: &'a PublicAddress,
    /// Block-signing key.
    pub signer: &'a SigningIdentity,
}

/// What the selection keeps of the agreed transactions.
#[derive(Default)]
struct Selection<'t> {
    txs: Vec<&'t Tx>,
    key_images: HashSet<KeyImage>,
    out_keys: HashSet<CompressedPoint>,
    fees: BTreeMap<TokenId, u64>,
    excluded: Vec<Excluded>,
}

impl<'t> Selection<'t> {
    /// The form-time rules; `Err` names the first one `p` breaks.
    fn admit(
        &self,
        p: &ProposedTx,
        index: u64,
        roots: &HashMap<u64, Hash32>,
    ) -> Result<u64, TxRule> {
        let tx = &p.tx;
        if tx.prefix.tombstone_block <= index {
            return Err(TxRule::TombstoneExpired);
        }
        // Every ring member against the parent's one root (through the prefix proof of the
        // ledger size the client's proofs are against).
        let (_, leaf_count) = txs::proof_shape(p).map_err(|_| TxRule::RingProofs)?;
        let root = roots.get(&leaf_count).ok_or(TxRule::RingRootUnproven)?;
        txs::check_rings(p, *root, leaf_count).map_err(|e| TxRule::from(&e))?;
        let kis = tx.key_images();
        if kis.iter().any(|k| self.key_images.contains(k)) {
            return Err(TxRule::KeyImageInBatch);
        }
        if tx.prefix.outputs.iter().any(|o| self.out_keys.contains(&o.public_key)) {
            return Err(TxRule::OutputInBatch);
        }
        let so_far = self.fees.get(&tx.prefix.token_id).copied().unwrap_or(0);
        so_far.checked_add(tx.prefix.fee).ok_or(TxRule::FeeOverflow)
    }

    fn keep(&mut self, tx: &'t Tx, fee_total: u64) {
        self.key_images.extend(tx.key_images());
        self.out_keys.extend(tx.prefix.outputs.iter().map(|o| o.public_key));
        self.fees.insert(tx.prefix.token_id, fee_total);
        self.txs.push(tx);
    }
}

impl Former<'_> {
    /// Forms and signs the block of `txs` on `parent` (which the caller has checked is the
    /// tracked tip). Transactions are taken in hash order; one that breaks a form-time rule
    /// (tombstone, ring membership against the parent's root via `roots`, a key image or
    /// output already in the block, fee overflow) is left out and reported, so every enclave
    /// given the same agreed set forms the same block.
    pub fn form(
        &self,
        parent: &Block,
        frontier: Option<&Frontier>,
        txs: &[ProposedTx],
        roots: &HashMap<u64, Hash32>,
        now: u64,
    ) -> Result<FormedBlock, EnclaveError> {
        let index = parent.index.checked_add(1).ok_or(EnclaveError::Internal)?;
        let mut order: Vec<(Hash32, &ProposedTx)> = txs.iter().map(|p| (p.tx.hash(), p)).collect();
        order.sort_by_key(|(h, _)| *h);
        let mut sel = Selection::default();
        for (tx_hash, p) in order {
            match sel.admit(p, index, roots) {
                Ok(fee_total) => sel.keep(&p.tx, fee_total),
                Err(reason) => sel.excluded.push(Excluded { tx_hash, reason }),
            }
        }
        let mut outputs: Vec<TxOut> =
            sel.txs.iter().flat_map(|t| t.prefix.outputs.iter().copied()).collect();
        outputs.extend(self.fee_outputs(parent, &sel)?);
        let contents = BlockContents::new(sel.key_images.into_iter().collect(), outputs);
        let leaves: Vec<Hash32> = contents.outputs.iter().map(TxOut::leaf_hash).collect();
        let root =
            root_after(parent.cumulative_txo_count, &parent.root_element, frontier, &leaves)?;
        let block = Block::new(BLOCK_VERSION, Some(parent), root, &contents);
        let signature = BlockSignature::sign(self.signer, &block.id, now);
        Ok(FormedBlock {
            block: BlockData { block, contents, signatures: vec![signature] },
            excluded: sel.excluded,
        })
    }

    /// Fee outputs. Their one-time secrets are derived from the parent id and the included
    /// transactions' full encodings (which only enclaves see), so every enclave forming this
    /// block makes the same outputs (the same block id) while hosts cannot recompute them.
    fn fee_outputs(&self, parent: &Block, sel: &Selection<'_>) -> Result<Vec<TxOut>, EnclaveError> {
        if sel.txs.is_empty() {
            return Ok(Vec::new());
        }
        let fees = &sel.fees;
        let slots = self.tokens.len().min(sel.txs.len()).max(fees.len());
        let mut amounts: Vec<Amount> = fees.iter().map(|(t, v)| Amount::new(*v, *t)).collect();
        for t in self.tokens {
            if amounts.len() >= slots {
                break;
            }
            if !fees.contains_key(t) && self.fees.minimum_fee(*t).is_some() {
                amounts.push(Amount::new(0, *t));
            }
        }
        let mut seed = Vec::new();
        parent.id.0.encode(&mut seed);
        for t in &sel.txs {
            t.encode(&mut seed);
        }
        let seed = Zeroizing::new(Hash32::digest(FEE_OUTPUT_DOMAIN, &seed).0);
        amounts
            .into_iter()
            .enumerate()
            .map(|(slot, a)| {
                let mut data = Zeroizing::new(seed.to_vec());
                data.extend_from_slice(&(slot as u64).to_be_bytes());
                let r = RistrettoPrivate::from_scalar(hash_to_scalar(FEE_OUTPUT_TAG, &data));
                TxOut::new(a, self.fee_recipient, &r, None)
                    .map(|(o, _)| o)
                    .map_err(|_| EnclaveError::Internal)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_tx::membership::{merkle_root, prove};

    fn leaves(n: u64, salt: u8) -> Vec<Hash32> {
        (0..n).map(|i| Hash32::digest(&[salt], &i.to_be_bytes())).collect()
    }

    #[test]
    fn root_after_matches_reference_for_all_small_sizes() {
        for n in 0..20u64 {
            for k in 0..12u64 {
                let old = leaves(n, 1);
                let new = leaves(k, 2);
                let old_root = merkle_root(&old);
                let frontier = (n > 0).then(|| Frontier {
                    last_leaf: old[(n - 1) as usize],
                    proof: prove(&old, n - 1).unwrap(),
                });
                let all: Vec<Hash32> = old.iter().chain(&new).copied().collect();
                let got = root_after(n, &old_root, frontier.as_ref(), &new).unwrap();
                assert_eq!(got, merkle_root(&all), "n={n} k={k}");
            }
        }
    }

    #[test]
    fn root_after_refuses_a_frontier_of_another_tree() {
        let old = leaves(7, 1);
        let f = Frontier { last_leaf: old[6], proof: prove(&old, 6).unwrap() };
        let wrong_root = merkle_root(&leaves(7, 3));
        assert_eq!(root_after(7, &wrong_root, Some(&f), &[]), Err(EnclaveError::BadFrontier));
        assert_eq!(root_after(7, &merkle_root(&old), None, &[]), Err(EnclaveError::BadFrontier));
        let f5 = Frontier { last_leaf: old[5], proof: prove(&old, 5).unwrap() };
        assert_eq!(
            root_after(7, &merkle_root(&old), Some(&f5), &[]),
            Err(EnclaveError::BadFrontier),
            "a proof of a leaf other than the last one"
        );
    }
}
