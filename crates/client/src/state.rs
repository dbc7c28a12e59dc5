//! The wallet's state: the verified tip, its outputs (with what spent them), and its
//! transactions awaiting inclusion; balances per token. Everything here is derived from
//! verified blocks and the wallet's own submissions, and has a canonical encoding (the store
//! writes it).

use std::collections::BTreeMap;

use mcnode_ledger::Block;
use mcnode_tx::{Amount, KeyImage, TokenId, TxOut};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader};

/// Most outputs / pending transactions a state file may hold (bounds the decoder).
pub const MAX_RECORDS: u32 = 1 << 22;

/// An output the wallet owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRecord {
    /// The output.
    pub tx_out: TxOut,
    /// Its global index in the ledger.
    pub global_index: u64,
    /// The block that created it.
    pub block_index: u64,
    /// The subaddress it pays to.
    pub subaddress: u64,
    /// Its amount.
    pub amount: Amount,
    /// Its key image.
    pub key_image: KeyImage,
    /// The block whose key images include this output's, once spent.
    pub spent_in: Option<u64>,
}

/// A transaction the wallet submitted and has not yet seen in a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTx {
    /// The transaction hash.
    pub tx_hash: Hash32,
    /// Its key images (inclusion is their appearance in a block).
    pub key_images: Vec<KeyImage>,
    /// Valid only while the ledger height is below this.
    pub tombstone_block: u64,
}

/// Per-token balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    /// Unspent outputs not used by a pending transaction.
    pub spendable: u128,
    /// Unspent outputs used by a transaction awaiting inclusion.
    pub pending: u128,
}

/// The whole state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalletState {
    /// Identifies the account the state belongs to (hash of its default address).
    pub account_tag: Hash32,
    /// The last verified block header, if any.
    pub tip: Option<Block>,
    /// When the blocks holding the wallet's events (outputs received or spent) were made:
    /// block index -> Unix seconds, the median `signed_at` of the block's trusted signatures
    /// (signers' clocks, so one lying signer cannot move it past the honest ones).
    pub block_times: BTreeMap<u64, u64>,
    /// Owned outputs, in the order found.
    pub owned: Vec<OwnedRecord>,
    /// Submitted transactions awaiting inclusion.
    pub pending: Vec<PendingTx>,
}

impl WalletState {
    /// The number of blocks verified (the next block to fetch).
    pub fn height(&self) -> u64 {
        self.tip.map_or(0, |t| t.index + 1)
    }

    /// Whether `ki` is spent by a pending transaction.
    pub fn is_pending(&self, ki: &KeyImage) -> bool {
        self.pending.iter().any(|p| p.key_images.contains(ki))
    }

    /// Balance per token.
    pub fn balances(&self) -> BTreeMap<TokenId, Balance> {
        let mut out: BTreeMap<TokenId, Balance> = BTreeMap::new();
        for o in self.owned.iter().filter(|o| o.spent_in.is_none()) {
            let b = out.entry(o.amount.token_id).or_default();
            if self.is_pending(&o.key_image) {
                b.pending += o.amount.value as u128;
            } else {
                b.spendable += o.amount.value as u128;
            }
        }
        out
    }

    /// The balance of one token.
    pub fn balance(&self, token: TokenId) -> Balance {
        self.balances().get(&token).copied().unwrap_or_default()
    }

    /// Unspent outputs of `token` not used by a pending transaction.
    pub fn spendable(&self, token: TokenId) -> impl Iterator<Item = &OwnedRecord> {
        self.owned.iter().filter(move |o| {
            o.amount.token_id == token && o.spent_in.is_none() && !self.is_pending(&o.key_image)
        })
    }
}

impl Encode for OwnedRecord {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tx_out.encode(out);
        self.global_index.encode(out);
        self.block_index.encode(out);
        self.subaddress.encode(out);
        self.amount.value.encode(out);
        self.amount.token_id.encode(out);
        self.key_image.encode(out);
        self.spent_in.encode(out);
    }
}

impl Decode for OwnedRecord {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(OwnedRecord {
            tx_out: TxOut::decode(r)?,
            global_index: u64::decode(r)?,
            block_index: u64::decode(r)?,
            subaddress: u64::decode(r)?,
            amount: {
                let value = u64::decode(r)?;
                Amount::new(value, TokenId::decode(r)?)
            },
            key_image: KeyImage::decode(r)?,
            spent_in: Option::<u64>::decode(r)?,
        })
    }
}

impl Encode for PendingTx {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tx_hash.encode(out);
        self.key_images.encode(out);
        self.tombstone_block.encode(out);
    }
}

impl Decode for PendingTx {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(PendingTx {
            tx_hash: Hash32::decode(r)?,
            key_images: r.seq(16)?,
            tombstone_block: u64::decode(r)?,
        })
    }
}

impl Encode for WalletState {
    fn encode(&self, out: &mut Vec<u8>) {
        self.account_tag.encode(out);
        self.tip.encode(out);
        self.owned.encode(out);
        self.pending.encode(out);
        (self.block_times.len() as u32).encode(out);
        for (b, t) in &self.block_times {
            b.encode(out);
            t.encode(out);
        }
    }
}

impl Decode for WalletState {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(WalletState {
            account_tag: Hash32::decode(r)?,
            tip: Option::<Block>::decode(r)?,
            owned: r.seq(MAX_RECORDS)?,
            pending: r.seq(MAX_RECORDS)?,
            block_times: {
                let n = r.seq_len(MAX_RECORDS)?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let b = u64::decode(r)?;
                    m.insert(b, u64::decode(r)?);
                }
                m
            },
        })
    }
}
