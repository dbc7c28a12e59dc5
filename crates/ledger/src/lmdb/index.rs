//! The in-memory indexes of the LMDB ledger: output public key → global index and key image →
//! spending block (why they are not LMDB tables: see the parent module).

use std::collections::HashMap;

use heed::{Env, WithoutTls};
use mcnode_crypto::CompressedPoint;
use mcnode_tx::KeyImage;
use mcnode_types::Decode;

use super::Tables;
use crate::block::{BlockData, StoredBlock};
use crate::error::LedgerError;

/// The random-key indexes, in memory (see the module doc).
#[derive(Debug, Default)]
pub(super) struct KeyIndex {
    pub(super) outputs: HashMap<CompressedPoint, u64>,
    pub(super) key_images: HashMap<KeyImage, u64>,
}

impl KeyIndex {
    /// Rebuilds the indexes by scanning the `outputs` and `blocks` tables. Records that do not
    /// decode, and duplicate keys (first one kept), are skipped rather than refused, so that a
    /// corrupt ledger still opens and `verify` can name the first bad block.
    ///
    /// The two scans run on two threads (each with its own read transaction).
    pub(super) fn build(env: &Env<WithoutTls>, t: &Tables) -> Result<KeyIndex, LedgerError> {
        std::thread::scope(|scope| {
            let outputs = scope.spawn(|| Self::scan_outputs(env, t));
            let key_images = Self::scan_key_images(env, t)?;
            let outputs = outputs.join().map_err(|_| LedgerError::IndexBuild)??;
            Ok(KeyIndex { outputs, key_images })
        })
    }

    fn scan_outputs(
        env: &Env<WithoutTls>,
        t: &Tables,
    ) -> Result<HashMap<CompressedPoint, u64>, LedgerError> {
        let rtxn = env.read_txn()?;
        let mut map = HashMap::with_capacity(t.outputs.len(&rtxn)? as usize);
        for entry in t.outputs.iter(&rtxn)? {
            let (k, v) = entry?;
            // A stored TxOut starts `target_key ‖ public_key`: read the key without decoding
            // the rest (verify decodes and checks every output).
            let (Ok(k), Some(pk)) = (<[u8; 8]>::try_from(k), v.get(32..64)) else { continue };
            let Ok(pk) = <[u8; 32]>::try_from(pk) else { continue };
            map.entry(CompressedPoint(pk)).or_insert(u64::from_be_bytes(k));
        }
        Ok(map)
    }

    fn scan_key_images(
        env: &Env<WithoutTls>,
        t: &Tables,
    ) -> Result<HashMap<KeyImage, u64>, LedgerError> {
        let rtxn = env.read_txn()?;
        let mut map = HashMap::new();
        for entry in t.blocks.iter(&rtxn)? {
            let (k, v) = entry?;
            let (Ok(k), Ok(b)) = (<[u8; 8]>::try_from(k), StoredBlock::from_canonical_bytes(v))
            else {
                continue;
            };
            map.reserve(b.key_images.len());
            for ki in b.key_images {
                map.entry(ki).or_insert(u64::from_be_bytes(k));
            }
        }
        Ok(map)
    }

    /// Records a committed block.
    pub(super) fn add(&mut self, data: &BlockData) {
        let first = data.block.cumulative_txo_count - data.contents.outputs.len() as u64;
        for (k, o) in data.contents.outputs.iter().enumerate() {
            self.outputs.insert(o.public_key, first + k as u64);
        }
        for ki in &data.contents.key_images {
            self.key_images.insert(*ki, data.block.index);
        }
    }
}
