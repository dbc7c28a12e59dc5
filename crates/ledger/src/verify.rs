//! Full verification of a stored ledger: everything that can be recomputed is recomputed.
//!
//! For every block in order: the record decodes; its index and parent link; its outputs exist
//! and its contents hash recomputes from the stored key images and outputs; the cumulative
//! output count; every Merkle node the block created equals the stored one (each node is
//! checked when created, from children checked before, so by induction the whole stored tree
//! is right); the root recomputes to `root_element`; the id recomputes; the block-id, output-key
//! and key-image indexes point back at this block; signatures verify. Finally every index
//! table holds exactly as many entries as the blocks account for (no stray entries).

use mcnode_tx::TxOut;

use crate::block::{BlockContents, BlockId};
use crate::error::LedgerError;
use crate::merkle::{self, Overlay};
use crate::store::{StoreRead, TableCounts, outputs_range};

/// What a sound ledger holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Blocks checked.
    pub blocks: u64,
    /// Outputs.
    pub outputs: u64,
    /// Key images.
    pub key_images: u64,
    /// Id of the last block.
    pub last_id: Option<BlockId>,
}

/// What was found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The block record is missing.
    Missing,
    /// Stored index differs from its position.
    WrongIndex,
    /// Parent id is not the previous block's id.
    WrongParent,
    /// The contents hash does not recompute.
    ContentsHash,
    /// The cumulative output count is wrong.
    CumulativeCount,
    /// The block id does not recompute.
    Id,
    /// The Merkle root does not recompute.
    Root,
    /// A stored Merkle node differs from the recomputed one.
    MerkleNode {
        /// Height.
        height: u32,
        /// Position.
        pos: u64,
    },
    /// An index table entry disagrees with the block.
    Index {
        /// Which table.
        table: &'static str,
    },
    /// A signature does not verify.
    Signature,
    /// An index table has more or fewer entries than the blocks account for.
    Count {
        /// Which table.
        table: &'static str,
        /// Entries found.
        found: u64,
        /// Entries expected.
        expected: u64,
    },
    /// Stored data that does not decode or is missing.
    Unreadable {
        /// Which record.
        what: &'static str,
        /// Its key (index or position).
        key: u64,
    },
}

/// Why verification failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The storage engine failed while reading.
    #[error("could not read the ledger: {0}")]
    Storage(#[source] LedgerError),
    /// The ledger is corrupt; `block` is the first bad block (or the height, for a count
    /// mismatch found after the last block).
    #[error("ledger is corrupt at block {block}: {problem:?}")]
    Corrupt {
        /// First bad block.
        block: u64,
        /// What is wrong.
        problem: Problem,
    },
}

fn at(block: u64) -> impl Fn(LedgerError) -> VerifyError {
    move |e| match e {
        LedgerError::Storage(_) | LedgerError::Open(_) => VerifyError::Storage(e),
        LedgerError::Corrupt { what, key, .. } => {
            VerifyError::Corrupt { block, problem: Problem::Unreadable { what, key } }
        }
        _ => VerifyError::Corrupt {
            block,
            problem: Problem::Unreadable { what: "record", key: block },
        },
    }
}

fn check(ok: bool, block: u64, problem: Problem) -> Result<(), VerifyError> {
    if ok { Ok(()) } else { Err(VerifyError::Corrupt { block, problem }) }
}

/// Verifies the whole ledger in `s`.
pub fn verify(s: &(impl StoreRead + ?Sized)) -> Result<VerifyReport, VerifyError> {
    verify_with_progress(s, &mut |_| {})
}

/// [`verify`], calling `progress(i)` before reading block `i`, and `progress(height)` before
/// the final table counts (so a caller can say what was being read if the storage engine
/// crashes).
pub fn verify_with_progress(
    s: &(impl StoreRead + ?Sized),
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, VerifyError> {
    let height = s.num_blocks().map_err(at(0))?;
    let mut parent: Option<crate::Block> = None;
    let mut key_images = 0u64;
    let mut merkle_nodes = 0u64;
    for i in 0..height {
        progress(i);
        let st = s.stored_block(i).map_err(at(i))?;
        let st = st.ok_or(VerifyError::Corrupt { block: i, problem: Problem::Missing })?;
        let b = st.block;
        check(b.index == i, i, Problem::WrongIndex)?;
        check(b.parent_id == parent.map_or(BlockId::default(), |p| p.id), i, Problem::WrongParent)?;
        let before = parent.map_or(0, |p| p.cumulative_txo_count);
        check(b.cumulative_txo_count >= before, i, Problem::CumulativeCount)?;
        let outputs = outputs_range(s, before, b.cumulative_txo_count).map_err(at(i))?;
        let contents = BlockContents { key_images: st.key_images, outputs };
        check(
            contents.is_canonical() && contents.hash() == b.contents_hash,
            i,
            Problem::ContentsHash,
        )?;
        let leaves: Vec<_> = contents.outputs.iter().map(TxOut::leaf_hash).collect();
        let new = merkle::append_leaves(s, before, &leaves).map_err(at(i))?;
        // Leaves (height 0) are the outputs' hashes, covered by the contents hash above.
        for (height, pos, x) in new.iter().filter(|(h, _, _)| *h > 0) {
            let stored = s.complete_node(height, pos).map_err(at(i))?;
            check(stored == x, i, Problem::MerkleNode { height, pos })?;
            merkle_nodes += 1;
        }
        let root = merkle::root(&Overlay { base: s, new: &new }, b.cumulative_txo_count);
        check(root.map_err(at(i))? == b.root_element, i, Problem::Root)?;
        check(b.compute_id() == b.id, i, Problem::Id)?;
        check(
            s.block_index(&b.id).map_err(at(i))? == Some(i),
            i,
            Problem::Index { table: "block_ids" },
        )?;
        for (k, o) in contents.outputs.iter().enumerate() {
            let want = Some(before + k as u64);
            let got = s.output_index(o.public_key()).map_err(at(i))?;
            check(got == want, i, Problem::Index { table: "output_keys" })?;
        }
        for ki in &contents.key_images {
            let got = s.key_image_block(ki).map_err(at(i))?;
            check(got == Some(i), i, Problem::Index { table: "key_images" })?;
        }
        for sig in &st.signatures {
            check(sig.verify(&b.id).is_ok(), i, Problem::Signature)?;
        }
        key_images += contents.key_images.len() as u64;
        parent = Some(b);
    }
    let outputs = parent.map_or(0, |p| p.cumulative_txo_count);
    progress(height);
    let counts = s.table_counts().map_err(at(height))?;
    let want =
        TableCounts { outputs, output_keys: outputs, block_ids: height, key_images, merkle_nodes };
    for (table, found, expected) in [
        ("outputs", counts.outputs, want.outputs),
        ("output_keys", counts.output_keys, want.output_keys),
        ("block_ids", counts.block_ids, want.block_ids),
        ("key_images", counts.key_images, want.key_images),
        ("merkle", counts.merkle_nodes, want.merkle_nodes),
    ] {
        check(found == expected, height, Problem::Count { table, found, expected })?;
    }
    Ok(VerifyReport { blocks: height, outputs, key_images, last_id: parent.map(|p| p.id) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::StoredBlock;
    use crate::merkle::NodeSource;
    use crate::{Block, Ledger, MemoryLedger, testkit};
    use mcnode_crypto::CompressedPoint;
    use mcnode_tx::KeyImage;
    use mcnode_types::Hash32;

    /// One way of lying about the stored data.
    #[derive(Clone, Copy)]
    enum Lie {
        None,
        MerkleNode,
        KeyImageBlock,
        OutputIndex,
        BlockIdIndex,
        ExtraKeyImageEntry,
        HeaderRoot,
        ParentLink,
    }

    struct Tampered<'a> {
        inner: &'a MemoryLedger,
        lie: Lie,
    }

    impl NodeSource for Tampered<'_> {
        type Error = LedgerError;
        fn complete_node(&self, h: u32, p: u64) -> Result<Hash32, LedgerError> {
            let x = self.inner.complete_node(h, p)?;
            Ok(if matches!(self.lie, Lie::MerkleNode) && (h, p) == (1, 3) {
                Hash32::ZERO
            } else {
                x
            })
        }
    }

    impl StoreRead for Tampered<'_> {
        fn num_blocks(&self) -> Result<u64, LedgerError> {
            StoreRead::num_blocks(self.inner)
        }
        fn stored_block(&self, index: u64) -> Result<Option<StoredBlock>, LedgerError> {
            let mut s = StoreRead::stored_block(self.inner, index)?;
            if let (Some(s), 2) = (s.as_mut(), index) {
                match self.lie {
                    Lie::HeaderRoot => s.block.root_element = Hash32::ZERO,
                    Lie::ParentLink => s.block.parent_id = s.block.id,
                    _ => {}
                }
            }
            Ok(s)
        }
        fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
            Ok(self.stored_block(index)?.map(|s| s.block))
        }
        fn block_index(&self, id: &BlockId) -> Result<Option<u64>, LedgerError> {
            let i = StoreRead::block_index(self.inner, id)?;
            Ok(if matches!(self.lie, Lie::BlockIdIndex) { i.map(|i| i + 1) } else { i })
        }
        fn output(&self, index: u64) -> Result<Option<TxOut>, LedgerError> {
            StoreRead::output(self.inner, index)
        }
        fn output_index(&self, pk: &CompressedPoint) -> Result<Option<u64>, LedgerError> {
            let i = StoreRead::output_index(self.inner, pk)?;
            Ok(if matches!(self.lie, Lie::OutputIndex) && i == Some(5) { Some(6) } else { i })
        }
        fn key_image_block(&self, ki: &KeyImage) -> Result<Option<u64>, LedgerError> {
            let b = StoreRead::key_image_block(self.inner, ki)?;
            Ok(if matches!(self.lie, Lie::KeyImageBlock) && b == Some(1) { Some(2) } else { b })
        }
        fn num_key_images(&self) -> Result<u64, LedgerError> {
            StoreRead::num_key_images(self.inner)
        }
        fn table_counts(&self) -> Result<TableCounts, LedgerError> {
            let mut c = StoreRead::table_counts(self.inner)?;
            if matches!(self.lie, Lie::ExtraKeyImageEntry) {
                c.key_images += 1;
            }
            Ok(c)
        }
    }

    #[test]
    fn every_check_names_the_first_bad_block() {
        let mut l = MemoryLedger::new();
        for n in 0..4 {
            testkit::append_synthetic(&mut l, n, 4, 2).unwrap();
        }
        let run = |lie| verify(&Tampered { inner: &l, lie });
        assert_eq!(run(Lie::None).unwrap().blocks, 4);
        let corrupt = |lie| match run(lie) {
            Err(VerifyError::Corrupt { block, problem }) => (block, problem),
            other => panic!("expected corruption, got {other:?}"),
        };
        // Node (1, 3) covers leaves 6..8, created by block 1 (outputs 4..8).
        assert_eq!(corrupt(Lie::MerkleNode), (1, Problem::MerkleNode { height: 1, pos: 3 }));
        assert_eq!(corrupt(Lie::KeyImageBlock), (1, Problem::Index { table: "key_images" }));
        assert_eq!(corrupt(Lie::OutputIndex), (1, Problem::Index { table: "output_keys" }));
        assert_eq!(corrupt(Lie::BlockIdIndex), (0, Problem::Index { table: "block_ids" }));
        assert_eq!(corrupt(Lie::HeaderRoot), (2, Problem::Root));
        assert_eq!(corrupt(Lie::ParentLink), (2, Problem::WrongParent));
        assert!(matches!(
            corrupt(Lie::ExtraKeyImageEntry),
            (4, Problem::Count { table: "key_images", found: 9, expected: 8 })
        ));
        assert!(l.verify().is_ok());
    }
}
