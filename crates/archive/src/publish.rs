//! Writing blocks to an archive: one block as it lands ([`publish_block`], what a running
//! node calls after each append), or a whole ledger ([`archive_ledger`], `mcnode archive`).
//!
//! Guarantees:
//! - Idempotent: an object already present with the size this code would write is not
//!   uploaded again; one present with another size is refused ([`PublishError::Differs`]:
//!   the archive holds another chain, or a damaged object, and this code will not overwrite
//!   what someone else may be reading).
//! - Resumable: [`archive_ledger`] starts after the block the index names (having checked
//!   that this ledger holds the same block there), so a killed run continues where its last
//!   index write left it; objects written after that are found present and skipped.
//! - Ordered: a block's object, then the bundles it completes, then the index. The index
//!   therefore never names a block whose object (or whose complete bundles) is not there.

use mcnode_ledger::{Block, BlockData, BlockId, Ledger, LedgerError};
use mcnode_types::Encode;

use crate::layout::{self, ArchiveIndex, IndexError};
use crate::store::{Archive, StoreError};

/// The ledger reads publishing needs. Every [`Ledger`] is one; a running node implements it
/// over its shared ledger so that the publisher reads under the node's lock, one read at a
/// time, and never holds it across an upload.
pub trait BlockSource {
    /// Number of blocks.
    fn num_blocks(&self) -> Result<u64, LedgerError>;
    /// Block `index` with contents and signatures.
    fn block(&self, index: u64) -> Result<Option<BlockData>, LedgerError>;
    /// Up to `count` blocks from `from`.
    fn blocks(&self, from: u64, count: u64) -> Result<Vec<BlockData>, LedgerError>;
    /// The header of block `index`.
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError>;
}

impl<L: Ledger + ?Sized> BlockSource for L {
    fn num_blocks(&self) -> Result<u64, LedgerError> {
        Ledger::num_blocks(self)
    }
    fn block(&self, index: u64) -> Result<Option<BlockData>, LedgerError> {
        Ledger::block(self, index)
    }
    fn blocks(&self, from: u64, count: u64) -> Result<Vec<BlockData>, LedgerError> {
        Ledger::blocks(self, from, count)
    }
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
        Ledger::block_header(self, index)
    }
}

/// How often (in blocks) [`archive_ledger`] rewrites the index while it runs.
pub const INDEX_EVERY: u64 = 100;

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Reading or writing an object failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the ledger failed.
    #[error("reading the ledger: {0}")]
    Ledger(#[from] LedgerError),
    /// The ledger has no such block.
    #[error("the ledger has no block {index}")]
    NoSuchBlock {
        /// The block asked for.
        index: u64,
    },
    /// The archive's index object is unusable.
    #[error("{object}: {source}")]
    Index {
        /// The index object.
        object: String,
        /// Why.
        #[source]
        source: IndexError,
    },
    /// The archive names a block this ledger does not have (another chain, or a ledger
    /// behind the archive).
    #[error(
        "{object} names block {index} with id {archived}, but this ledger's block {index} is {local}: the archive holds another chain"
    )]
    OtherChain {
        /// The index object.
        object: String,
        /// The block.
        index: u64,
        /// Its id in the archive.
        archived: BlockId,
        /// Its id in this ledger (`None`: the ledger is shorter).
        local: String,
    },
    /// An object is present with other contents than this ledger's.
    #[error(
        "{object} exists with {found} bytes where this ledger's is {expected} bytes: refusing to overwrite it"
    )]
    Differs {
        /// The object.
        object: String,
        /// Its size in the archive.
        found: u64,
        /// The size this ledger's object has.
        expected: u64,
    },
}

/// What a publish did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Objects written (blocks, bundles, index).
    pub uploaded: u64,
    /// Block and bundle objects found already present (not written again).
    pub present: u64,
    /// The highest block the archive's index names afterwards.
    pub highest: Option<u64>,
}

/// Reads the archive's index: `None` for an empty archive.
pub async fn read_index(archive: &Archive) -> Result<Option<(u64, BlockId)>, PublishError> {
    let Some(bytes) = archive.get(layout::INDEX_OBJECT).await? else { return Ok(None) };
    let (ix, id) = ArchiveIndex::parse(&bytes).map_err(|source| PublishError::Index {
        object: archive.describe(layout::INDEX_OBJECT),
        source,
    })?;
    Ok(Some((ix.highest, id)))
}

/// Writes `name` unless it is already there with the same size.
async fn put_once(
    archive: &Archive,
    name: &str,
    bytes: Vec<u8>,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    match archive.size(name).await? {
        Some(found) if found == bytes.len() as u64 => {
            report.present += 1;
            Ok(())
        }
        Some(found) => Err(PublishError::Differs {
            object: archive.describe(name),
            found,
            expected: bytes.len() as u64,
        }),
        None => {
            archive.put(name, bytes).await?;
            report.uploaded += 1;
            Ok(())
        }
    }
}

fn block(ledger: &(impl BlockSource + ?Sized), index: u64) -> Result<BlockData, PublishError> {
    ledger.block(index)?.ok_or(PublishError::NoSuchBlock { index })
}

/// Writes block `index`'s object and the bundles it completes (not the index).
async fn put_block(
    archive: &Archive,
    ledger: &(impl BlockSource + ?Sized),
    index: u64,
    report: &mut PublishReport,
) -> Result<BlockId, PublishError> {
    let data = block(ledger, index)?;
    let id = data.block.id;
    put_once(archive, &layout::block_object(index), data.to_canonical_bytes(), report).await?;
    for size in layout::bundles_closed_by(index) {
        let first = index + 1 - size;
        let name = layout::bundle_object(size, first);
        // Skip reading a thousand blocks when the bundle is already there.
        if archive.size(&name).await?.is_some() {
            report.present += 1;
            continue;
        }
        let blocks = ledger.blocks(first, size)?;
        if blocks.len() as u64 != size {
            return Err(PublishError::NoSuchBlock { index: first + blocks.len() as u64 });
        }
        put_once(archive, &name, layout::encode_bundle(&blocks), report).await?;
    }
    Ok(id)
}

async fn put_index(
    archive: &Archive,
    highest: u64,
    id: BlockId,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    archive.put(layout::INDEX_OBJECT, ArchiveIndex::new(highest, id).to_bytes()).await?;
    report.uploaded += 1;
    report.highest = Some(highest);
    Ok(())
}

/// Checks that the ledger holds the block the archive's index names.
fn check_same_chain(
    archive: &Archive,
    ledger: &(impl BlockSource + ?Sized),
    highest: u64,
    archived: BlockId,
) -> Result<(), PublishError> {
    let local = ledger.block_header(highest)?.map(|b| b.id);
    if local == Some(archived) {
        return Ok(());
    }
    Err(PublishError::OtherChain {
        object: archive.describe(layout::INDEX_OBJECT),
        index: highest,
        archived,
        local: local.map_or_else(|| "missing".to_string(), |id| id.to_string()),
    })
}

/// Publishes block `index` of `ledger`: what a running node calls after appending each block.
/// Writes every block the archive lacks up to and including `index` (normally just this one;
/// after downtime, the gap too), the bundles they complete, then the index. Calling it again
/// for the same block uploads nothing.
pub async fn publish_block(
    archive: &Archive,
    ledger: &(impl BlockSource + ?Sized),
    index: u64,
) -> Result<PublishReport, PublishError> {
    archive_through(archive, ledger, Some(index), &mut |_, _| {}).await
}

/// Archives every block of `ledger` the archive does not hold yet. `progress(done, total)`
/// is called after each block with the blocks written in this run and the run's total.
pub async fn archive_ledger(
    archive: &Archive,
    ledger: &(impl BlockSource + ?Sized),
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<PublishReport, PublishError> {
    archive_through(archive, ledger, None, progress).await
}

/// Archives the blocks after the archive's highest up to `last` (default: the ledger's last).
async fn archive_through(
    archive: &Archive,
    ledger: &(impl BlockSource + ?Sized),
    last: Option<u64>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<PublishReport, PublishError> {
    let mut report = PublishReport::default();
    let current = read_index(archive).await?;
    if let Some((highest, id)) = current {
        check_same_chain(archive, ledger, highest, id)?;
    }
    report.highest = current.map(|(h, _)| h);
    let start = current.map_or(0, |(h, _)| h + 1);
    let height = match last {
        Some(i) if i >= ledger.num_blocks()? => return Err(PublishError::NoSuchBlock { index: i }),
        Some(i) if i < start => {
            // Already archived: make sure its objects are there (uploads nothing if so).
            put_block(archive, ledger, i, &mut report).await?;
            return Ok(report);
        }
        Some(i) => i + 1,
        None => ledger.num_blocks()?,
    };
    let total = height.saturating_sub(start);
    for index in start..height {
        let id = put_block(archive, ledger, index, &mut report).await?;
        if (index + 1).is_multiple_of(INDEX_EVERY) || index + 1 == height {
            put_index(archive, index, id, &mut report).await?;
        }
        progress(index + 1 - start, total);
    }
    Ok(report)
}
