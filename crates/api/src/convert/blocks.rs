//! Blocks, outputs and membership proofs: domain types of `mcnode-ledger` and `mcnode-tx` to
//! and from their protobuf messages in `mcnode.common.v1`.
//!
//! Conversions from the wire are structural and as strict as the canonical decoders of the
//! domain crates: every fixed-size field has its exact length, required messages are present,
//! lists are within the domain caps (`MAX_BLOCK_*`, `MAX_PROOF_DEPTH`), and block contents are
//! strictly ascending (one set of contents, one encoding, one hash). They do NOT check that a
//! block id recomputes, that a signature verifies or that a proof reaches a root: whoever uses
//! the data (ledger append, catch-up, wallet) checks those against what it trusts.

use mcnode_crypto::{CompressedPoint, Ed25519Signature};
use mcnode_ledger::block::{MAX_BLOCK_KEY_IMAGES, MAX_BLOCK_OUTPUTS, MAX_BLOCK_SIGNATURES};
use mcnode_ledger::{Block, BlockContents, BlockData, BlockId, BlockSignature};
use mcnode_tx::membership::MAX_PROOF_DEPTH;
use mcnode_tx::tx_out::{ENCRYPTED_MEMO_LEN, EncryptedMemo};
use mcnode_tx::{CompressedCommitment, KeyImage, MaskedAmount, MembershipProof, TxOut};
use mcnode_types::{Hash32, NodeId};

use crate::error::{WireError, cap, fixed, required};
use crate::pb::common::v1 as pb;

fn hash(field: &'static str, b: &[u8]) -> Result<Hash32, WireError> {
    Ok(Hash32(fixed(field, b)?))
}

fn point(field: &'static str, b: &[u8]) -> Result<CompressedPoint, WireError> {
    Ok(CompressedPoint(fixed(field, b)?))
}

impl From<&Block> for pb::Block {
    fn from(b: &Block) -> Self {
        pb::Block {
            id: b.id.0.0.to_vec(),
            version: b.version,
            parent_id: b.parent_id.0.0.to_vec(),
            index: b.index,
            cumulative_txo_count: b.cumulative_txo_count,
            root_element: b.root_element.0.to_vec(),
            contents_hash: b.contents_hash.0.to_vec(),
        }
    }
}

impl TryFrom<&pb::Block> for Block {
    type Error = WireError;
    fn try_from(b: &pb::Block) -> Result<Self, WireError> {
        Ok(Block {
            id: BlockId(hash("Block.id", &b.id)?),
            version: b.version,
            parent_id: BlockId(hash("Block.parent_id", &b.parent_id)?),
            index: b.index,
            cumulative_txo_count: b.cumulative_txo_count,
            root_element: hash("Block.root_element", &b.root_element)?,
            contents_hash: hash("Block.contents_hash", &b.contents_hash)?,
        })
    }
}

impl From<&TxOut> for pb::TxOut {
    fn from(o: &TxOut) -> Self {
        pb::TxOut {
            target_key: o.target_key.0.to_vec(),
            public_key: o.public_key.0.to_vec(),
            masked_amount: Some(pb::MaskedAmount {
                commitment: o.masked_amount.commitment.0.0.to_vec(),
                masked_value: o.masked_amount.masked_value,
                masked_token_id: o.masked_amount.masked_token_id.to_vec(),
            }),
            memo: o.memo.map(|m| m.0.to_vec()),
        }
    }
}

impl TryFrom<&pb::TxOut> for TxOut {
    type Error = WireError;
    fn try_from(o: &pb::TxOut) -> Result<Self, WireError> {
        let amount = required("TxOut.masked_amount", o.masked_amount.as_ref())?;
        let memo = match &o.memo {
            None => None,
            Some(m) => Some(EncryptedMemo(fixed::<ENCRYPTED_MEMO_LEN>("TxOut.memo", m)?)),
        };
        Ok(TxOut {
            target_key: point("TxOut.target_key", &o.target_key)?,
            public_key: point("TxOut.public_key", &o.public_key)?,
            masked_amount: MaskedAmount {
                commitment: CompressedCommitment(point(
                    "MaskedAmount.commitment",
                    &amount.commitment,
                )?),
                masked_value: amount.masked_value,
                masked_token_id: fixed("MaskedAmount.masked_token_id", &amount.masked_token_id)?,
            },
            memo,
        })
    }
}

impl From<&BlockContents> for pb::BlockContents {
    fn from(c: &BlockContents) -> Self {
        pb::BlockContents {
            key_images: c.key_images.iter().map(|k| k.0.0.to_vec()).collect(),
            outputs: c.outputs.iter().map(pb::TxOut::from).collect(),
        }
    }
}

impl TryFrom<&pb::BlockContents> for BlockContents {
    type Error = WireError;
    fn try_from(c: &pb::BlockContents) -> Result<Self, WireError> {
        cap("BlockContents.key_images", &c.key_images, MAX_BLOCK_KEY_IMAGES as usize)?;
        cap("BlockContents.outputs", &c.outputs, MAX_BLOCK_OUTPUTS as usize)?;
        let contents = BlockContents {
            key_images: c
                .key_images
                .iter()
                .map(|k| Ok(KeyImage::from(fixed::<32>("BlockContents.key_images", k)?)))
                .collect::<Result<_, WireError>>()?,
            outputs: c.outputs.iter().map(TxOut::try_from).collect::<Result<_, _>>()?,
        };
        if !contents.is_canonical() {
            return Err(WireError::NotCanonical {
                field: "BlockContents",
                rule: "key images and outputs must be strictly ascending",
            });
        }
        Ok(contents)
    }
}

impl From<&BlockSignature> for pb::BlockSignature {
    fn from(s: &BlockSignature) -> Self {
        pb::BlockSignature {
            signer: s.signer.0.to_vec(),
            signed_at: s.signed_at,
            signature: s.signature.0.to_vec(),
        }
    }
}

impl TryFrom<&pb::BlockSignature> for BlockSignature {
    type Error = WireError;
    fn try_from(s: &pb::BlockSignature) -> Result<Self, WireError> {
        Ok(BlockSignature {
            signer: NodeId(fixed("BlockSignature.signer", &s.signer)?),
            signed_at: s.signed_at,
            signature: Ed25519Signature(fixed("BlockSignature.signature", &s.signature)?),
        })
    }
}

impl From<&BlockData> for pb::BlockData {
    fn from(d: &BlockData) -> Self {
        pb::BlockData {
            block: Some((&d.block).into()),
            contents: Some((&d.contents).into()),
            signatures: d.signatures.iter().map(pb::BlockSignature::from).collect(),
        }
    }
}

impl TryFrom<&pb::BlockData> for BlockData {
    type Error = WireError;
    fn try_from(d: &pb::BlockData) -> Result<Self, WireError> {
        cap("BlockData.signatures", &d.signatures, MAX_BLOCK_SIGNATURES as usize)?;
        Ok(BlockData {
            block: required("BlockData.block", d.block.as_ref())?.try_into()?,
            contents: required("BlockData.contents", d.contents.as_ref())?.try_into()?,
            signatures: d
                .signatures
                .iter()
                .map(BlockSignature::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

impl From<&MembershipProof> for pb::MembershipProof {
    fn from(p: &MembershipProof) -> Self {
        pb::MembershipProof {
            index: p.index,
            leaf_count: p.leaf_count,
            siblings: p.siblings.iter().map(|h| h.0.to_vec()).collect(),
        }
    }
}

impl TryFrom<&pb::MembershipProof> for MembershipProof {
    type Error = WireError;
    fn try_from(p: &pb::MembershipProof) -> Result<Self, WireError> {
        cap("MembershipProof.siblings", &p.siblings, MAX_PROOF_DEPTH as usize)?;
        Ok(MembershipProof {
            index: p.index,
            leaf_count: p.leaf_count,
            siblings: p
                .siblings
                .iter()
                .map(|s| hash("MembershipProof.siblings", s))
                .collect::<Result<_, _>>()?,
        })
    }
}
