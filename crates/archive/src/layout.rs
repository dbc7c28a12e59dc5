//! Where things are in an archive, and how each object is encoded.
//!
//! Layout under the archive's root (MobileCoin's `ledger/distribution` writes one object per
//! block plus `merged-N` buckets; ours differs in names and encoding):
//!
//! | object | holds |
//! |---|---|
//! | `blocks/<index as 16 hex digits>` | one [`BlockData`] (header, contents, signatures) in the canonical encoding |
//! | `merged-100/<first index, 16 hex>` | blocks `first .. first+100` (first a multiple of 100), a canonical sequence of [`BlockData`] |
//! | `merged-1000/<first index, 16 hex>` | the same for 1000 blocks |
//! | `index.json` | [`ArchiveIndex`]: the highest block every object up to which has been written |
//!
//! Writers put `index.json` last, so every block it names (and every complete bundle below
//! it) exists. Readers trust nothing in the objects: every block is verified (see
//! [`crate::sync`]); the index only says how far to read.

use mcnode_ledger::{BlockData, BlockId};
use mcnode_types::{DecodeError, Encode, Hash32, Reader};
use serde::{Deserialize, Serialize};

/// Sizes of the merged bundles, largest first.
pub const BUNDLE_SIZES: [u64; 2] = [1000, 100];
/// Name of the index object.
pub const INDEX_OBJECT: &str = "index.json";
/// The index `format` this code writes and reads.
pub const INDEX_FORMAT: u32 = 1;

/// Name of the object holding block `index`.
pub fn block_object(index: u64) -> String {
    format!("blocks/{index:016x}")
}

/// Name of the bundle of `size` blocks starting at `first`.
pub fn bundle_object(size: u64, first: u64) -> String {
    format!("merged-{size}/{first:016x}")
}

/// The bundle sizes that block `index` completes (the block is the last of those bundles).
pub fn bundles_closed_by(index: u64) -> impl Iterator<Item = u64> {
    BUNDLE_SIZES.into_iter().filter(move |s| (index + 1).is_multiple_of(*s))
}

/// The index object: the highest block the archive holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveIndex {
    /// [`INDEX_FORMAT`].
    pub format: u32,
    /// Index of the highest block (every block up to it is in the archive).
    pub highest: u64,
    /// Its id, lowercase hex.
    pub highest_id: String,
}

/// Why an index object is unusable.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Not JSON of the index's shape.
    #[error("not an archive index (JSON): {0}")]
    Json(#[from] serde_json::Error),
    /// A format this code does not read.
    #[error("index format {found} (this build reads {INDEX_FORMAT})")]
    Format {
        /// The format found.
        found: u32,
    },
    /// The id is not 64 hex digits.
    #[error("highest_id is not a block id: {0}")]
    Id(#[from] mcnode_types::ParseHashError),
}

impl ArchiveIndex {
    /// The index naming `block` as the highest.
    pub fn new(highest: u64, id: BlockId) -> Self {
        ArchiveIndex { format: INDEX_FORMAT, highest, highest_id: id.0.to_hex() }
    }

    /// Encodes as pretty JSON (people read it with `curl` or `cat`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Parses and checks an index object.
    pub fn parse(bytes: &[u8]) -> Result<(Self, BlockId), IndexError> {
        let ix: ArchiveIndex = serde_json::from_slice(bytes)?;
        if ix.format != INDEX_FORMAT {
            return Err(IndexError::Format { found: ix.format });
        }
        let id = BlockId(ix.highest_id.parse::<Hash32>()?);
        Ok((ix, id))
    }
}

/// Encodes a bundle: the canonical sequence of its blocks.
pub fn encode_bundle(blocks: &[BlockData]) -> Vec<u8> {
    blocks.to_canonical_bytes()
}

/// Decodes a bundle of at most `size` blocks (trailing bytes are an error).
pub fn decode_bundle(bytes: &[u8], size: u64) -> Result<Vec<BlockData>, DecodeError> {
    let mut r = Reader::new(bytes);
    let max = u32::try_from(size).unwrap_or(u32::MAX);
    let v = r.seq(max)?;
    r.finish()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_index_and_bundles_close_on_multiples() {
        assert_eq!(block_object(255), "blocks/00000000000000ff");
        assert!(block_object(9) < block_object(10));
        assert_eq!(bundle_object(100, 200), "merged-100/00000000000000c8");
        assert_eq!(bundles_closed_by(99).collect::<Vec<_>>(), vec![100]);
        assert_eq!(bundles_closed_by(999).collect::<Vec<_>>(), vec![1000, 100]);
        assert_eq!(bundles_closed_by(100).count(), 0);
    }

    #[test]
    fn index_round_trips_and_rejects_other_formats() {
        let id = BlockId(Hash32::digest(b"t", b"x"));
        let ix = ArchiveIndex::new(7, id);
        assert_eq!(ArchiveIndex::parse(&ix.to_bytes()).unwrap(), (ix.clone(), id));
        let future = ArchiveIndex { format: 2, ..ix.clone() };
        assert!(matches!(
            ArchiveIndex::parse(&future.to_bytes()),
            Err(IndexError::Format { found: 2 })
        ));
        let bad = ArchiveIndex { highest_id: "zz".into(), ..ix };
        assert!(matches!(ArchiveIndex::parse(&bad.to_bytes()), Err(IndexError::Id(_))));
        assert!(matches!(ArchiveIndex::parse(b"{"), Err(IndexError::Json(_))));
    }

    #[test]
    fn bundle_decoder_refuses_more_blocks_than_its_size() {
        let b = encode_bundle(&[]);
        assert_eq!(decode_bundle(&b, 100).unwrap(), vec![]);
        assert!(decode_bundle(&[0, 0, 0, 101], 100).is_err());
        assert!(decode_bundle(&[0, 0, 0, 0, 1], 100).is_err());
    }
}
