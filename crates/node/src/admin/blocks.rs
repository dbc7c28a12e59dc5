//! `GET /blocks?from=&limit=` and `GET /blocks/{index}`: public block data as JSON (header,
//! key images, outputs as the public sees them, signatures). Hashes, keys and signatures are
//! hex; node ids are strkeys.

use mcnode_ledger::BlockData;
use mcnode_types::{Hash32, NodeId};
use serde::Serialize;

/// Most blocks one `/blocks` request returns.
pub const MAX_BLOCKS_PER_PAGE: u64 = 100;
/// Blocks returned when `limit` is not given.
pub const DEFAULT_BLOCKS_PER_PAGE: u64 = 10;

/// One block as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockView {
    /// Height.
    pub index: u64,
    /// Id.
    pub id: Hash32,
    /// Parent id (all zero for the origin block).
    pub parent_id: Hash32,
    /// Format version.
    pub version: u32,
    /// Outputs in the ledger after this block.
    pub cumulative_txo_count: u64,
    /// Merkle root over those outputs.
    pub root_element: Hash32,
    /// Hash of the contents.
    pub contents_hash: Hash32,
    /// Spent key images (hex).
    pub key_images: Vec<String>,
    /// New outputs.
    pub outputs: Vec<OutputView>,
    /// Signatures.
    pub signatures: Vec<SignatureView>,
}

/// One output as the public sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutputView {
    /// Transaction public key `R` (hex).
    pub public_key: String,
    /// One-time target key `P` (hex).
    pub target_key: String,
    /// Amount commitment (hex).
    pub commitment: String,
    /// Masked value.
    pub masked_value: u64,
    /// Masked token id (hex).
    pub masked_token_id: String,
    /// Encrypted memo (hex), if any.
    pub memo: Option<String>,
}

/// One block signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureView {
    /// Signer.
    pub signer: NodeId,
    /// Signer's clock, Unix seconds.
    pub signed_at: u64,
    /// Ed25519 signature (hex).
    pub signature: String,
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter().fold(String::with_capacity(b.len() * 2), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

impl From<&BlockData> for BlockView {
    fn from(d: &BlockData) -> BlockView {
        let b = &d.block;
        BlockView {
            index: b.index,
            id: b.id.0,
            parent_id: b.parent_id.0,
            version: b.version,
            cumulative_txo_count: b.cumulative_txo_count,
            root_element: b.root_element,
            contents_hash: b.contents_hash,
            key_images: d.contents.key_images.iter().map(|k| hex(&k.0.0)).collect(),
            outputs: d
                .contents
                .outputs
                .iter()
                .map(|o| OutputView {
                    public_key: hex(&o.public_key.0),
                    target_key: hex(&o.target_key.0),
                    commitment: hex(&o.masked_amount.commitment.0.0),
                    masked_value: o.masked_amount.masked_value,
                    masked_token_id: hex(&o.masked_amount.masked_token_id),
                    memo: o.memo.map(|m| hex(&m.0)),
                })
                .collect(),
            signatures: d
                .signatures
                .iter()
                .map(|s| SignatureView {
                    signer: s.signer,
                    signed_at: s.signed_at,
                    signature: hex(&s.signature.0),
                })
                .collect(),
        }
    }
}
