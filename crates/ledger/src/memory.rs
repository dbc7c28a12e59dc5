//! The in-memory ledger: same rules and proofs as the durable one, nothing on disk. For tests,
//! simulations and as the baseline the benchmark compares LMDB against.

use std::collections::HashMap;

use mcnode_crypto::CompressedPoint;
use mcnode_tx::{KeyImage, TxOut};
use mcnode_types::Hash32;

use crate::block::{Block, BlockData, BlockId, StoredBlock};
use crate::error::LedgerError;
use crate::merkle::{MemTree, NodeSource};
use crate::store::{self, StoreRead, TableCounts};
use crate::{Ledger, impl_ledger_view};

/// A ledger held in memory.
#[derive(Clone, Debug, Default)]
pub struct MemoryLedger {
    blocks: Vec<StoredBlock>,
    block_ids: HashMap<BlockId, u64>,
    outputs: Vec<TxOut>,
    output_keys: HashMap<CompressedPoint, u64>,
    key_images: HashMap<KeyImage, u64>,
    tree: MemTree,
}

impl MemoryLedger {
    /// An empty ledger (no origin block yet).
    pub fn new() -> Self {
        Self::default()
    }
}

impl NodeSource for MemoryLedger {
    type Error = LedgerError;
    fn complete_node(&self, height: u32, pos: u64) -> Result<Hash32, LedgerError> {
        self.tree.complete_node(height, pos).map_err(|_| LedgerError::Corrupt {
            what: "Merkle node",
            key: pos,
            source: None,
        })
    }
}

impl StoreRead for MemoryLedger {
    fn num_blocks(&self) -> Result<u64, LedgerError> {
        Ok(self.blocks.len() as u64)
    }
    fn stored_block(&self, index: u64) -> Result<Option<StoredBlock>, LedgerError> {
        Ok(usize::try_from(index).ok().and_then(|i| self.blocks.get(i)).cloned())
    }
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
        Ok(usize::try_from(index).ok().and_then(|i| self.blocks.get(i)).map(|s| s.block))
    }
    fn block_index(&self, id: &BlockId) -> Result<Option<u64>, LedgerError> {
        Ok(self.block_ids.get(id).copied())
    }
    fn output(&self, index: u64) -> Result<Option<TxOut>, LedgerError> {
        Ok(usize::try_from(index).ok().and_then(|i| self.outputs.get(i)).copied())
    }
    fn output_index(&self, pk: &CompressedPoint) -> Result<Option<u64>, LedgerError> {
        Ok(self.output_keys.get(pk).copied())
    }
    fn key_image_block(&self, ki: &KeyImage) -> Result<Option<u64>, LedgerError> {
        Ok(self.key_images.get(ki).copied())
    }
    fn num_key_images(&self) -> Result<u64, LedgerError> {
        Ok(self.key_images.len() as u64)
    }
    fn table_counts(&self) -> Result<TableCounts, LedgerError> {
        Ok(TableCounts {
            outputs: self.outputs.len() as u64,
            output_keys: self.output_keys.len() as u64,
            block_ids: self.block_ids.len() as u64,
            key_images: self.key_images.len() as u64,
            merkle_nodes: self.tree.inner_node_count(),
        })
    }
}

impl Ledger for MemoryLedger {
    fn snapshot(&self) -> Result<Box<dyn StoreRead + Send + '_>, LedgerError> {
        Ok(Box::new(self))
    }

    fn append_block(&mut self, data: &BlockData) -> Result<(), LedgerError> {
        let new = store::validate_append(self, data)?;
        let index = data.block.index;
        for ki in &data.contents.key_images {
            self.key_images.insert(*ki, index);
        }
        for o in &data.contents.outputs {
            self.output_keys.insert(o.public_key, self.outputs.len() as u64);
            self.outputs.push(*o);
        }
        self.tree.apply(&new);
        self.block_ids.insert(data.block.id, index);
        self.blocks.push(StoredBlock {
            block: data.block,
            key_images: data.contents.key_images.clone(),
            signatures: data.signatures.clone(),
        });
        Ok(())
    }
}

impl_ledger_view!(MemoryLedger);
