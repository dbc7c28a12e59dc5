//! The transaction: format, canonical encoding, hashes and limits.
//!
//! Shape (MobileCoin `mc-transaction-core` `Tx` = `TxPrefix` + `SignatureRctBulletproofs`):
//! - [`TxPrefix`]: inputs (each a ring of exactly [`RING_SIZE`] ledger outputs), outputs, fee,
//!   the token everything is in, and the tombstone block;
//! - [`TxSignature`]: one pseudo-output commitment and one CLSAG per input (in input order), and
//!   one aggregated range proof over the outputs.
//!
//! Hashes:
//! - the transaction hash, [`Tx::hash`], is `Hash32::digest(TX_HASH_DOMAIN, canonical bytes of
//!   the whole Tx)`: prefix, every ring signature with its key image, the pseudo-output
//!   commitments and the range proof (MobileCoin's `Tx::tx_hash` likewise digests the whole
//!   `Tx`). It is what consensus nominates, so it must name exactly one transaction: a client
//!   that owns two outputs of one ring can sign the same prefix twice, as the owner of each,
//!   giving two valid transactions with different key images. A hash of the prefix alone
//!   would name both, and two nodes holding different variants would agree on one value and
//!   form different blocks. The canonical encoding is injective, so two transactions that
//!   differ anywhere have different hashes (up to SHA-256 collisions).
//! - every ring signature signs `Hash32::digest(TX_SIGNING_DOMAIN, prefix bytes ‖
//!   pseudo-outputs ‖ range proof)`, which binds the prefix and the balance and range-proof
//!   data (the signatures cannot sign themselves, hence the two hashes).
//!
//! The two tags differ from each other and from every other tag of the protocol (tested).

use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader, encode_bytes};

use crate::range::MAX_PROOF_BYTES;
use crate::ring::{Clsag, RING_SIZE};
use crate::{CompressedCommitment, KeyImage, TokenId, TxOut};

/// Domain tag of the transaction hash (v2: the whole transaction; v1 hashed the prefix only).
pub const TX_HASH_DOMAIN: &[u8] = b"mcnode-tx-hash-v2";
/// Domain tag of the message the ring signatures sign.
pub const TX_SIGNING_DOMAIN: &[u8] = b"mcnode-tx-signing-v1";
/// Most inputs per transaction (MobileCoin `MAX_INPUTS`).
pub const MAX_INPUTS: usize = 16;
/// Most outputs per transaction (MobileCoin `MAX_OUTPUTS`).
pub const MAX_OUTPUTS: usize = 16;
/// Farthest a tombstone may be above the current height: 7 days at 2 blocks a minute
/// (MobileCoin `MAX_TOMBSTONE_BLOCKS`).
pub const MAX_TOMBSTONE_BLOCKS: u64 = 20_160;

/// One input: the ring it is hidden in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxIn {
    /// Exactly [`RING_SIZE`] ledger outputs, sorted strictly by `target_key`; one is real.
    pub ring: Vec<TxOut>,
}

/// What the transaction does (everything but the proofs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxPrefix {
    /// Inputs, sorted by their rings (compared member by member, by target key; see
    /// [`TxIn::ring_order`]). Equal rings may appear in either order.
    pub inputs: Vec<TxIn>,
    /// Outputs, sorted strictly by `public_key`.
    pub outputs: Vec<TxOut>,
    /// Fee, in `token_id`, paid to the network.
    pub fee: u64,
    /// The token of every input, output and the fee.
    pub token_id: TokenId,
    /// The transaction is valid only while the ledger height is below this block index.
    pub tombstone_block: u64,
}

/// The proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxSignature {
    /// One pseudo-output commitment per input, in input order.
    pub pseudo_outputs: Vec<CompressedCommitment>,
    /// One CLSAG per input, in input order; each carries the input's key image.
    pub ring_signatures: Vec<Clsag>,
    /// Bulletproofs+ aggregated range proof over the outputs' commitments.
    pub range_proof: Vec<u8>,
}

/// A confidential transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    /// What it does.
    pub prefix: TxPrefix,
    /// The proofs.
    pub signature: TxSignature,
}

/// The message the ring signatures sign.
pub fn signing_message(
    prefix: &TxPrefix,
    pseudo_outputs: &[CompressedCommitment],
    range_proof: &[u8],
) -> [u8; 32] {
    let mut data = prefix.to_canonical_bytes();
    pseudo_outputs.encode(&mut data);
    encode_bytes(range_proof, &mut data);
    Hash32::digest(TX_SIGNING_DOMAIN, &data).0
}

impl Tx {
    /// The transaction hash: of the whole transaction, signatures and proofs included (what
    /// consensus nominates; see the module documentation).
    pub fn hash(&self) -> Hash32 {
        Hash32::of(TX_HASH_DOMAIN, self)
    }

    /// The message its ring signatures sign.
    pub fn signing_message(&self) -> [u8; 32] {
        signing_message(&self.prefix, &self.signature.pseudo_outputs, &self.signature.range_proof)
    }

    /// Key images of its inputs, in input order.
    pub fn key_images(&self) -> Vec<KeyImage> {
        self.signature.ring_signatures.iter().map(|s| s.key_image).collect()
    }

    /// Public keys of its outputs.
    pub fn output_public_keys(&self) -> Vec<mcnode_crypto::CompressedPoint> {
        self.prefix.outputs.iter().map(|o| o.public_key).collect()
    }
}

impl TxIn {
    /// The order of inputs in a transaction: lexicographic over the rings' target keys.
    /// (Comparing only the first member, as MobileCoin does, makes two 16-input rings drawn
    /// from one ledger tie too often.)
    pub fn ring_order(&self, other: &TxIn) -> std::cmp::Ordering {
        self.ring.iter().map(|m| m.target_key).cmp(other.ring.iter().map(|m| m.target_key))
    }
}

impl Encode for TxIn {
    fn encode(&self, out: &mut Vec<u8>) {
        self.ring.encode(out);
    }
}

impl Decode for TxIn {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ring: Vec<TxOut> = r.seq(RING_SIZE as u32)?;
        Ok(TxIn { ring })
    }
}

impl Encode for TxPrefix {
    fn encode(&self, out: &mut Vec<u8>) {
        self.inputs.encode(out);
        self.outputs.encode(out);
        self.fee.encode(out);
        self.token_id.encode(out);
        self.tombstone_block.encode(out);
    }
}

impl Decode for TxPrefix {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TxPrefix {
            inputs: r.seq(MAX_INPUTS as u32)?,
            outputs: r.seq(MAX_OUTPUTS as u32)?,
            fee: u64::decode(r)?,
            token_id: TokenId::decode(r)?,
            tombstone_block: u64::decode(r)?,
        })
    }
}

impl Encode for TxSignature {
    fn encode(&self, out: &mut Vec<u8>) {
        self.pseudo_outputs.encode(out);
        self.ring_signatures.encode(out);
        encode_bytes(&self.range_proof, out);
    }
}

impl Decode for TxSignature {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TxSignature {
            pseudo_outputs: r.seq(MAX_INPUTS as u32)?,
            ring_signatures: r.seq(MAX_INPUTS as u32)?,
            range_proof: r.bytes(MAX_PROOF_BYTES)?.to_vec(),
        })
    }
}

impl Encode for Tx {
    fn encode(&self, out: &mut Vec<u8>) {
        self.prefix.encode(out);
        self.signature.encode(out);
    }
}

impl Decode for Tx {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Tx { prefix: TxPrefix::decode(r)?, signature: TxSignature::decode(r)? })
    }
}
