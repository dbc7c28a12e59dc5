//! What the host may see of a transaction, and nothing more (issue 7 item 2): its hash, key
//! images, output public keys, tombstone, fee priority, highest ring index, the ledger size its
//! ring proofs are against, and sizes. The transaction itself stays inside opaque ciphertexts
//! ([`LocallyEncryptedTx`], [`WellFormedEncryptedTx`]) under keys only the enclave holds, drawn
//! fresh on every enclave start (MobileCoin `consensus/enclave/impl`: `TxContext`,
//! `WellFormedTxContext`).
//!
//! [`ProposedTx`] is the plaintext a client (or a peer enclave) sends inside an attested
//! channel: the transaction plus a membership proof per ring member. It never crosses the
//! boundary in the clear.

use mcnode_crypto::CompressedPoint;
use mcnode_ledger::BlockData;
use mcnode_tx::ring::RING_SIZE;
use mcnode_tx::tx::{MAX_INPUTS, Tx};
use mcnode_tx::{KeyImage, MembershipProof, TokenId, TxOut};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader, encode_bytes};

use crate::refusal::{EnclaveError, TxRule};

/// Largest cached ciphertext accepted (a maximal transaction with its proofs is well below).
pub const MAX_CIPHERTEXT_LEN: u32 = 1 << 20;
/// Most transactions one peer message or one block may carry.
pub const MAX_TXS_PER_CALL: u32 = 4096;

/// A transaction encrypted by the enclave for its own cache (after `ClientTxPropose` or
/// `PeerTxPropose`, before the well-formedness check). Opaque to the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocallyEncryptedTx(pub Vec<u8>);

/// A transaction the enclave found well formed, encrypted under a second enclave key. Only
/// these enter `TxsForPeer` and `FormBlock`. Opaque to the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WellFormedEncryptedTx(pub Vec<u8>);

macro_rules! opaque_codec {
    ($t:ident) => {
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                encode_bytes(&self.0, out);
            }
        }
        impl Decode for $t {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok($t(r.bytes(MAX_CIPHERTEXT_LEN)?.to_vec()))
            }
        }
    };
}
opaque_codec!(LocallyEncryptedTx);
opaque_codec!(WellFormedEncryptedTx);

/// What the host learns when a transaction is proposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxContext {
    /// The transaction hash (what consensus nominates).
    pub tx_hash: Hash32,
    /// Key images of its inputs (the host checks they are unspent).
    pub key_images: Vec<KeyImage>,
    /// Public keys of its outputs (the host checks they are new).
    pub output_public_keys: Vec<CompressedPoint>,
    /// Highest ledger index among all ring members: the host proves that output.
    pub highest_index: u64,
    /// The ledger size (number of outputs) the ring proofs are against.
    pub leaf_count: u64,
    /// Size in bytes of the encoded transaction.
    pub size: u32,
    /// The transaction, encrypted for the enclave's cache.
    pub encrypted: LocallyEncryptedTx,
}

/// What the host learns when a transaction is well formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WellFormedTxContext {
    /// The transaction hash.
    pub tx_hash: Hash32,
    /// Key images of its inputs.
    pub key_images: Vec<KeyImage>,
    /// Public keys of its outputs.
    pub output_public_keys: Vec<CompressedPoint>,
    /// The transaction is valid while the ledger height is below this.
    pub tombstone: u64,
    /// Fee priority: `fee * 128 / minimum fee` (so a minimum-fee transaction has 128).
    pub priority: u64,
    /// Highest ledger index among the ring members.
    pub highest_index: u64,
    /// The ledger size (number of outputs) its ring proofs are against: `FormBlock` needs a
    /// [`PrefixProof`] for it.
    pub leaf_count: u64,
    /// Size in bytes of the encoded transaction.
    pub size: u32,
}

/// The host's proof that the output tree of the first `proof.index + 1` outputs (the ledger
/// size some transactions' ring proofs are against) is a prefix of the parent block's tree:
/// the leaf hash of output `proof.index` and its membership proof in the parent's tree
/// (`proof.leaf_count` = the parent's `cumulative_txo_count`). The enclave verifies it
/// against the parent's root and derives the root of the smaller tree from it (its left
/// siblings are complete subtrees both trees share; its right siblings are empty in the
/// smaller tree), so ring proofs are checked against the parent's one root without the host
/// learning which outputs are ring members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixProof {
    /// Leaf hash of output `proof.index`.
    pub last_leaf: Hash32,
    /// Its proof in the parent block's tree.
    pub proof: MembershipProof,
}

/// A transaction `FormBlock` left out of the block, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Excluded {
    /// The transaction's hash.
    pub tx_hash: Hash32,
    /// The rule it broke at form time.
    pub reason: TxRule,
}

/// What `FormBlock` returns: the signed block and the transactions it left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormedBlock {
    /// Header, contents and this enclave's signature.
    pub block: BlockData,
    /// Agreed transactions that failed a form-time check, in the order checked (by hash).
    pub excluded: Vec<Excluded>,
}

/// The host's proof for a transaction's highest ring index: the ledger's output at that index
/// and its membership proof in the tree of `TxContext::leaf_count` outputs. Together they fix
/// the root every other ring proof must reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HighestProof {
    /// The ledger's output at `TxContext::highest_index`.
    pub output: TxOut,
    /// Its membership proof at `TxContext::leaf_count`.
    pub proof: MembershipProof,
}

/// Most transactions one `TxsAreWellFormed` call may carry.
pub const MAX_WELL_FORMED_PER_CALL: u32 = 256;

/// One transaction of a `TxsAreWellFormed` call: the cached ciphertext and the host's proof of
/// its highest ring member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WellFormedQuery {
    /// The cached ciphertext (`ClientTxPropose`, `PeerTxPropose`).
    pub tx: LocallyEncryptedTx,
    /// The host's proof.
    pub highest: HighestProof,
}

/// The enclave's verdict on one transaction of a `TxsAreWellFormed` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WellFormedVerdict {
    /// Well formed: what the host may know, and the transaction for the pool.
    WellFormed {
        /// What the host may know.
        context: WellFormedTxContext,
        /// The transaction for the cache.
        tx: WellFormedEncryptedTx,
    },
    /// Refused, and why.
    Refused(EnclaveError),
}

/// The right edge of the ledger's Merkle tree after the parent block: the last output's leaf
/// hash and its membership proof (all its left siblings are the complete subtrees the new
/// outputs are appended after). `None` in [`crate::call::FormBlockInputs`] for an empty ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontier {
    /// Leaf hash of output `parent.cumulative_txo_count - 1`.
    pub last_leaf: Hash32,
    /// Its proof against `parent.root_element`.
    pub proof: MembershipProof,
}

/// What a client or peer sends inside a channel: the transaction and one membership proof per
/// ring member (inputs in order, members in ring order), all against one ledger size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposedTx {
    /// The transaction.
    pub tx: Tx,
    /// One proof per ring member.
    pub ring_proofs: Vec<MembershipProof>,
}

/// Minimum fee of one token (configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeEntry {
    /// The token.
    pub token: TokenId,
    /// Its minimum fee.
    pub minimum_fee: u64,
}

impl Encode for TxContext {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tx_hash.encode(out);
        self.key_images.encode(out);
        self.output_public_keys.encode(out);
        self.highest_index.encode(out);
        self.leaf_count.encode(out);
        self.size.encode(out);
        self.encrypted.encode(out);
    }
}

impl Decode for TxContext {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TxContext {
            tx_hash: Hash32::decode(r)?,
            key_images: r.seq(MAX_INPUTS as u32)?,
            output_public_keys: r.seq(mcnode_tx::tx::MAX_OUTPUTS as u32)?,
            highest_index: u64::decode(r)?,
            leaf_count: u64::decode(r)?,
            size: u32::decode(r)?,
            encrypted: LocallyEncryptedTx::decode(r)?,
        })
    }
}

impl Encode for WellFormedTxContext {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tx_hash.encode(out);
        self.key_images.encode(out);
        self.output_public_keys.encode(out);
        self.tombstone.encode(out);
        self.priority.encode(out);
        self.highest_index.encode(out);
        self.leaf_count.encode(out);
        self.size.encode(out);
    }
}

impl Decode for WellFormedTxContext {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(WellFormedTxContext {
            tx_hash: Hash32::decode(r)?,
            key_images: r.seq(MAX_INPUTS as u32)?,
            output_public_keys: r.seq(mcnode_tx::tx::MAX_OUTPUTS as u32)?,
            tombstone: u64::decode(r)?,
            priority: u64::decode(r)?,
            highest_index: u64::decode(r)?,
            leaf_count: u64::decode(r)?,
            size: u32::decode(r)?,
        })
    }
}

impl Encode for HighestProof {
    fn encode(&self, out: &mut Vec<u8>) {
        self.output.encode(out);
        self.proof.encode(out);
    }
}

impl Decode for HighestProof {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(HighestProof { output: TxOut::decode(r)?, proof: MembershipProof::decode(r)? })
    }
}

impl Encode for WellFormedQuery {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tx.encode(out);
        self.highest.encode(out);
    }
}

impl Decode for WellFormedQuery {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(WellFormedQuery {
            tx: LocallyEncryptedTx::decode(r)?,
            highest: HighestProof::decode(r)?,
        })
    }
}

impl Encode for WellFormedVerdict {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            WellFormedVerdict::WellFormed { context, tx } => {
                out.push(0);
                context.encode(out);
                tx.encode(out);
            }
            WellFormedVerdict::Refused(e) => {
                out.push(1);
                e.encode(out);
            }
        }
    }
}

impl Decode for WellFormedVerdict {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u8::decode(r)? {
            0 => WellFormedVerdict::WellFormed {
                context: WellFormedTxContext::decode(r)?,
                tx: WellFormedEncryptedTx::decode(r)?,
            },
            1 => WellFormedVerdict::Refused(EnclaveError::decode(r)?),
            tag => return Err(DecodeError::InvalidTag { what: "well-formed verdict", tag }),
        })
    }
}

impl Encode for Frontier {
    fn encode(&self, out: &mut Vec<u8>) {
        self.last_leaf.encode(out);
        self.proof.encode(out);
    }
}

impl Decode for Frontier {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Frontier { last_leaf: Hash32::decode(r)?, proof: MembershipProof::decode(r)? })
    }
}

impl Encode for PrefixProof {
    fn encode(&self, out: &mut Vec<u8>) {
        self.last_leaf.encode(out);
        self.proof.encode(out);
    }
}

impl Decode for PrefixProof {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(PrefixProof { last_leaf: Hash32::decode(r)?, proof: MembershipProof::decode(r)? })
    }
}

impl Encode for Excluded {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tx_hash.encode(out);
        self.reason.encode(out);
    }
}

impl Decode for Excluded {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Excluded { tx_hash: Hash32::decode(r)?, reason: TxRule::decode(r)? })
    }
}

impl Encode for FormedBlock {
    fn encode(&self, out: &mut Vec<u8>) {
        self.block.encode(out);
        self.excluded.encode(out);
    }
}

impl Decode for FormedBlock {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(FormedBlock { block: BlockData::decode(r)?, excluded: r.seq(MAX_TXS_PER_CALL)? })
    }
}

impl Encode for ProposedTx {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tx.encode(out);
        self.ring_proofs.encode(out);
    }
}

impl Decode for ProposedTx {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ProposedTx { tx: Tx::decode(r)?, ring_proofs: r.seq((MAX_INPUTS * RING_SIZE) as u32)? })
    }
}

impl Encode for FeeEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.token.encode(out);
        self.minimum_fee.encode(out);
    }
}

impl Decode for FeeEntry {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(FeeEntry { token: TokenId::decode(r)?, minimum_fee: u64::decode(r)? })
    }
}
