//! The read interface both backends implement over one consistent snapshot, and the logic
//! shared by them: append validation, block assembly, proofs.
//!
//! `append_block` rules (checked in this order, all before anything is written; MobileCoin
//! `mc-ledger-db` `append_block` checks the same kind of things):
//! 1. version supported; sizes within the decoder's limits; contents canonical;
//! 2. index = height, parent id = last block's id (zero for the origin block);
//! 3. contents hash, cumulative output count, Merkle root after the new outputs, and id all
//!    recompute;
//! 4. no key image already spent, no output public key already present;
//! 5. every signature verifies over the id, at most one per signer.

use mcnode_crypto::CompressedPoint;
use mcnode_tx::{KeyImage, MembershipProof, TxOut};

use crate::block::{
    BLOCK_VERSION, Block, BlockContents, BlockData, BlockId, MAX_BLOCK_KEY_IMAGES,
    MAX_BLOCK_OUTPUTS, MAX_BLOCK_SIGNATURES, StoredBlock,
};
use crate::error::{AppendError, LedgerError};
use crate::merkle::{self, NewNodes, NodeSource, Overlay};

/// A consistent read snapshot of a ledger's tables (one backend transaction).
pub trait StoreRead: NodeSource<Error = LedgerError> {
    /// Number of blocks.
    fn num_blocks(&self) -> Result<u64, LedgerError>;
    /// The stored record of block `index`.
    fn stored_block(&self, index: u64) -> Result<Option<StoredBlock>, LedgerError>;
    /// Only the header of block `index` (cheaper: skips key images and signatures).
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError>;
    /// Index of the block with id `id`.
    fn block_index(&self, id: &BlockId) -> Result<Option<u64>, LedgerError>;
    /// Output by global index.
    fn output(&self, index: u64) -> Result<Option<TxOut>, LedgerError>;
    /// Global index of the output with public key `pk`.
    fn output_index(&self, pk: &CompressedPoint) -> Result<Option<u64>, LedgerError>;
    /// The block that spent `ki`.
    fn key_image_block(&self, ki: &KeyImage) -> Result<Option<u64>, LedgerError>;
    /// Entries in the key-image table.
    fn num_key_images(&self) -> Result<u64, LedgerError>;
    /// Entries in the (outputs, output-key, block-id, Merkle-node) tables, for `verify`.
    fn table_counts(&self) -> Result<TableCounts, LedgerError>;
}

impl<T: StoreRead + ?Sized> StoreRead for &T {
    fn num_blocks(&self) -> Result<u64, LedgerError> {
        (**self).num_blocks()
    }
    fn stored_block(&self, index: u64) -> Result<Option<StoredBlock>, LedgerError> {
        (**self).stored_block(index)
    }
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
        (**self).block_header(index)
    }
    fn block_index(&self, id: &BlockId) -> Result<Option<u64>, LedgerError> {
        (**self).block_index(id)
    }
    fn output(&self, index: u64) -> Result<Option<TxOut>, LedgerError> {
        (**self).output(index)
    }
    fn output_index(&self, pk: &CompressedPoint) -> Result<Option<u64>, LedgerError> {
        (**self).output_index(pk)
    }
    fn key_image_block(&self, ki: &KeyImage) -> Result<Option<u64>, LedgerError> {
        (**self).key_image_block(ki)
    }
    fn num_key_images(&self) -> Result<u64, LedgerError> {
        (**self).num_key_images()
    }
    fn table_counts(&self) -> Result<TableCounts, LedgerError> {
        (**self).table_counts()
    }
}

/// Entry counts of the index tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableCounts {
    /// Outputs by index.
    pub outputs: u64,
    /// Output public key index.
    pub output_keys: u64,
    /// Block id index.
    pub block_ids: u64,
    /// Key images.
    pub key_images: u64,
    /// Stored inner Merkle nodes (heights ≥ 1).
    pub merkle_nodes: u64,
}

/// The last block's header.
pub fn last_block(s: &(impl StoreRead + ?Sized)) -> Result<Option<Block>, LedgerError> {
    match s.num_blocks()? {
        0 => Ok(None),
        n => s.block_header(n - 1)?.map(Some).ok_or(LedgerError::Corrupt {
            what: "block",
            key: n - 1,
            source: None,
        }),
    }
}

/// Number of outputs in the ledger.
pub fn num_outputs(s: &(impl StoreRead + ?Sized)) -> Result<u64, LedgerError> {
    Ok(last_block(s)?.map_or(0, |b| b.cumulative_txo_count))
}

/// The outputs with global indexes `[from, to)`.
pub fn outputs_range(
    s: &(impl StoreRead + ?Sized),
    from: u64,
    to: u64,
) -> Result<Vec<TxOut>, LedgerError> {
    (from..to)
        .map(|i| s.output(i)?.ok_or(LedgerError::Corrupt { what: "output", key: i, source: None }))
        .collect()
}

/// The whole of block `index`, if it exists.
pub fn block_data(
    s: &(impl StoreRead + ?Sized),
    index: u64,
) -> Result<Option<BlockData>, LedgerError> {
    let Some(st) = s.stored_block(index)? else { return Ok(None) };
    let before = match index {
        0 => 0,
        _ => {
            s.block_header(index - 1)?
                .ok_or(LedgerError::Corrupt { what: "block", key: index - 1, source: None })?
                .cumulative_txo_count
        }
    };
    let outputs = outputs_range(s, before, st.block.cumulative_txo_count)?;
    Ok(Some(BlockData {
        block: st.block,
        contents: BlockContents { key_images: st.key_images, outputs },
        signatures: st.signatures,
    }))
}

/// A proof for output `index` in the tree of the first `leaf_count` outputs.
pub fn proof_at(
    s: &(impl StoreRead + ?Sized),
    index: u64,
    leaf_count: u64,
) -> Result<MembershipProof, LedgerError> {
    let have = num_outputs(s)?;
    if leaf_count > have {
        return Err(LedgerError::NoSuchTreeSize { asked: leaf_count, have });
    }
    if index >= leaf_count {
        return Err(LedgerError::NoSuchOutput { index, count: leaf_count });
    }
    merkle::proof(s, index, leaf_count)
}

/// The header a block with `contents` would get on top of this ledger.
pub fn next_block(
    s: &(impl StoreRead + ?Sized),
    version: u32,
    contents: &BlockContents,
) -> Result<Block, LedgerError> {
    let parent = last_block(s)?;
    let n = parent.map_or(0, |p| p.cumulative_txo_count);
    let leaves: Vec<_> = contents.outputs.iter().map(TxOut::leaf_hash).collect();
    let new = merkle::append_leaves(s, n, &leaves)?;
    let root = merkle::root(&Overlay { base: s, new: &new }, n + leaves.len() as u64)?;
    Ok(Block::new(version, parent.as_ref(), root, contents))
}

fn check_size(what: &'static str, got: usize, max: u32) -> Result<(), AppendError> {
    if got > max as usize { Err(AppendError::TooLarge { what, got, max }) } else { Ok(()) }
}

/// Checks every append rule against the ledger; returns the Merkle nodes to store.
pub fn validate_append(
    s: &(impl StoreRead + ?Sized),
    data: &BlockData,
) -> Result<NewNodes, LedgerError> {
    let BlockData { block: b, contents: c, signatures } = data;
    if b.version != BLOCK_VERSION {
        return Err(LedgerError::from(AppendError::UnsupportedVersion {
            got: b.version,
            supported: BLOCK_VERSION,
        }));
    }
    check_size("key images", c.key_images.len(), MAX_BLOCK_KEY_IMAGES)?;
    check_size("outputs", c.outputs.len(), MAX_BLOCK_OUTPUTS)?;
    check_size("signatures", signatures.len(), MAX_BLOCK_SIGNATURES)?;
    if !c.is_canonical() {
        return Err(LedgerError::from(AppendError::NotCanonical));
    }
    let height = s.num_blocks()?;
    if b.index != height {
        return Err(LedgerError::from(AppendError::WrongIndex { expected: height, got: b.index }));
    }
    let parent = last_block(s)?;
    let parent_id = parent.map_or(BlockId::default(), |p| p.id);
    if b.parent_id != parent_id {
        return Err(LedgerError::from(AppendError::WrongParent {
            expected: parent_id,
            got: b.parent_id,
        }));
    }
    let actual = c.hash();
    if b.contents_hash != actual {
        return Err(LedgerError::from(AppendError::ContentsHashMismatch {
            claimed: b.contents_hash,
            actual,
        }));
    }
    let n = parent.map_or(0, |p| p.cumulative_txo_count);
    let expected = n + c.outputs.len() as u64;
    if b.cumulative_txo_count != expected {
        return Err(LedgerError::from(AppendError::CumulativeCountMismatch {
            expected,
            got: b.cumulative_txo_count,
        }));
    }
    let leaves: Vec<_> = c.outputs.iter().map(TxOut::leaf_hash).collect();
    let new = merkle::append_leaves(s, n, &leaves)?;
    let actual = merkle::root(&Overlay { base: s, new: &new }, expected)?;
    if b.root_element != actual {
        return Err(LedgerError::from(AppendError::RootMismatch {
            claimed: b.root_element,
            actual,
        }));
    }
    let actual = b.compute_id();
    if b.id != actual {
        return Err(LedgerError::from(AppendError::IdMismatch { claimed: b.id, actual }));
    }
    for ki in &c.key_images {
        if let Some(block) = s.key_image_block(ki)? {
            return Err(LedgerError::from(AppendError::KeyImageSpent { key_image: *ki, block }));
        }
    }
    for o in &c.outputs {
        if let Some(index) = s.output_index(o.public_key())? {
            return Err(LedgerError::from(AppendError::DuplicateOutput {
                public_key: o.public_key,
                index,
            }));
        }
    }
    let mut signers = std::collections::HashSet::with_capacity(signatures.len());
    for sig in signatures {
        if !signers.insert(sig.signer) {
            return Err(LedgerError::from(AppendError::DuplicateSigner { signer: sig.signer }));
        }
        sig.verify(&b.id).map_err(AppendError::from)?;
    }
    Ok(new)
}
