//! Conversions between the wire's protobuf messages (`mcnode-api`) and the ledger's types, for
//! what the runtime serves and fetches: blocks with signatures, outputs, membership proofs.
//! Decoding refuses anything that is not exactly the documented shape (a 31-byte hash, a
//! missing required field) with [`ConvertError`], never a panic. Contents are then checked by
//! their consumers (block ids, links and signatures by the engine's catch-up rule).

use mcnode_api::pb::common::v1 as pb;
use mcnode_crypto::{CompressedPoint, Ed25519Signature};
use mcnode_ledger::{Block, BlockContents, BlockData, BlockId, BlockSignature};
use mcnode_tx::tx_out::{EncryptedMemo, MaskedAmount};
use mcnode_tx::{CompressedCommitment, KeyImage, MembershipProof, TxOut};
use mcnode_types::{Hash32, NodeId};

/// Why a message does not convert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// A fixed-size field has the wrong length.
    #[error("field {field}: expected {expected} bytes, got {got}")]
    Length {
        /// The field.
        field: &'static str,
        /// Its length.
        expected: usize,
        /// What came.
        got: usize,
    },
    /// A required field is absent.
    #[error("field {field} is required")]
    Missing {
        /// The field.
        field: &'static str,
    },
}

fn fixed<const N: usize>(field: &'static str, b: Vec<u8>) -> Result<[u8; N], ConvertError> {
    let got = b.len();
    b.try_into().map_err(|_| ConvertError::Length { field, expected: N, got })
}

fn hash(field: &'static str, b: Vec<u8>) -> Result<Hash32, ConvertError> {
    Ok(Hash32(fixed(field, b)?))
}

/// A block as the wire carries it.
pub fn block_to_pb(b: &BlockData) -> pb::BlockData {
    let h = &b.block;
    pb::BlockData {
        block: Some(pb::Block {
            id: h.id.0.0.to_vec(),
            version: h.version,
            parent_id: h.parent_id.0.0.to_vec(),
            index: h.index,
            cumulative_txo_count: h.cumulative_txo_count,
            root_element: h.root_element.0.to_vec(),
            contents_hash: h.contents_hash.0.to_vec(),
        }),
        contents: Some(pb::BlockContents {
            key_images: b.contents.key_images.iter().map(|k| k.0.0.to_vec()).collect(),
            outputs: b.contents.outputs.iter().map(tx_out_to_pb).collect(),
        }),
        signatures: b
            .signatures
            .iter()
            .map(|s| pb::BlockSignature {
                signer: s.signer.0.to_vec(),
                signed_at: s.signed_at,
                signature: s.signature.0.to_vec(),
            })
            .collect(),
    }
}

/// A block from the wire.
pub fn block_from_pb(b: pb::BlockData) -> Result<BlockData, ConvertError> {
    let h = b.block.ok_or(ConvertError::Missing { field: "block" })?;
    let c = b.contents.ok_or(ConvertError::Missing { field: "contents" })?;
    let block = Block {
        id: BlockId(hash("block.id", h.id)?),
        version: h.version,
        parent_id: BlockId(hash("block.parent_id", h.parent_id)?),
        index: h.index,
        cumulative_txo_count: h.cumulative_txo_count,
        root_element: hash("block.root_element", h.root_element)?,
        contents_hash: hash("block.contents_hash", h.contents_hash)?,
    };
    let key_images = c
        .key_images
        .into_iter()
        .map(|k| Ok(KeyImage(CompressedPoint(fixed("contents.key_images", k)?))))
        .collect::<Result<_, ConvertError>>()?;
    let outputs = c.outputs.into_iter().map(tx_out_from_pb).collect::<Result<_, _>>()?;
    let signatures = b
        .signatures
        .into_iter()
        .map(|s| {
            Ok(BlockSignature {
                signer: NodeId(fixed("signatures.signer", s.signer)?),
                signed_at: s.signed_at,
                signature: Ed25519Signature(fixed("signatures.signature", s.signature)?),
            })
        })
        .collect::<Result<_, ConvertError>>()?;
    // Kept in the order received: the block's contents hash covers that order.
    Ok(BlockData { block, contents: BlockContents { key_images, outputs }, signatures })
}

/// An output as the wire carries it.
pub fn tx_out_to_pb(o: &TxOut) -> pb::TxOut {
    pb::TxOut {
        target_key: o.target_key.0.to_vec(),
        public_key: o.public_key.0.to_vec(),
        masked_amount: Some(pb::MaskedAmount {
            commitment: o.masked_amount.commitment.0.0.to_vec(),
            masked_value: o.masked_amount.masked_value,
            masked_token_id: o.masked_amount.masked_token_id.to_vec(),
        }),
        memo: o.memo.as_ref().map(|m| m.0.to_vec()),
    }
}

/// An output from the wire.
pub fn tx_out_from_pb(o: pb::TxOut) -> Result<TxOut, ConvertError> {
    let a = o.masked_amount.ok_or(ConvertError::Missing { field: "masked_amount" })?;
    Ok(TxOut {
        target_key: CompressedPoint(fixed("target_key", o.target_key)?),
        public_key: CompressedPoint(fixed("public_key", o.public_key)?),
        masked_amount: MaskedAmount {
            commitment: CompressedCommitment(CompressedPoint(fixed("commitment", a.commitment)?)),
            masked_value: a.masked_value,
            masked_token_id: fixed("masked_token_id", a.masked_token_id)?,
        },
        memo: o.memo.map(|m| fixed("memo", m).map(EncryptedMemo)).transpose()?,
    })
}

/// A membership proof as the wire carries it.
pub fn proof_to_pb(p: &MembershipProof) -> pb::MembershipProof {
    pb::MembershipProof {
        index: p.index,
        leaf_count: p.leaf_count,
        siblings: p.siblings.iter().map(|s| s.0.to_vec()).collect(),
    }
}

/// A membership proof from the wire.
pub fn proof_from_pb(p: pb::MembershipProof) -> Result<MembershipProof, ConvertError> {
    Ok(MembershipProof {
        index: p.index,
        leaf_count: p.leaf_count,
        siblings: p.siblings.into_iter().map(|s| hash("siblings", s)).collect::<Result<_, _>>()?,
    })
}
