//! Building or extending a ledger from an archive (`mcnode ledger sync --from URL`), trusting
//! nothing in the archive.
//!
//! Each block read, in order from the ledger's height to the index's highest, must:
//! 1. decode (canonical encoding, size limits) and be the block its position says;
//! 2. recompute its contents hash and its id;
//! 3. link to the previous block (the ledger's last, or the one verified before it);
//! 4. carry valid signatures from at least `threshold` distinct trusted signers
//!    ([`SignerSet`]), except the origin block (block 0, which nobody signs): it must equal
//!    the expected origin if one is given, and otherwise is accepted only once block 1,
//!    quorum-signed, names it as its parent (it is not appended before);
//! 5. pass the ledger's own append checks (Merkle root, cumulative count, spent key images,
//!    duplicate outputs), in one durable write per block.
//!
//! This is the catch-up rule of DESIGN.md (blocks signed by a quorum of signers, links and
//! contents hashes checked) applied to an archive; MobileCoin's `ledger/from-archive` and
//! watcher do the same kind of checks against its S3 archive. Any failure names the object.
//!
//! Resumable: blocks are appended one durable write at a time, so after a kill the ledger
//! holds a prefix and the next run starts at its height. Bundles (`merged-N`) are read when
//! a whole one lies ahead; a missing bundle falls back to single-block objects, a missing
//! single block is refused.

use std::ops::ControlFlow;

use mcnode_ledger::{Block, BlockData, BlockId, Ledger, LedgerError};
use mcnode_types::{Decode, DecodeError};

use crate::layout::{self, ArchiveIndex, IndexError};
use crate::signers::{NotEnoughSignatures, SignerSet};
use crate::store::{Archive, StoreError};

/// What is wrong with a block read from the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The object holds another block than its position says.
    WrongIndex {
        /// The index the block claims.
        found: u64,
    },
    /// The contents do not hash to the header's contents hash.
    ContentsHash,
    /// The header's fields do not hash to its id.
    Id,
    /// The parent id is not the previous block's id.
    Parent {
        /// The previous block's id.
        expected: BlockId,
        /// The parent id the block names.
        found: BlockId,
    },
    /// The origin block is not the expected one.
    Origin {
        /// The expected origin id.
        expected: BlockId,
        /// The archive's.
        found: BlockId,
    },
    /// A bundle with the wrong number of blocks.
    BundleLength {
        /// Blocks in the bundle.
        found: usize,
        /// Its size.
        expected: u64,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::WrongIndex { found } => write!(f, "it holds block {found}"),
            Problem::ContentsHash => f.write_str("its contents do not match its contents hash"),
            Problem::Id => f.write_str("its header does not hash to its id"),
            Problem::Parent { expected, found } => {
                write!(f, "its parent is {found}, the previous block is {expected}")
            }
            Problem::Origin { expected, found } => {
                write!(f, "origin block {found} is not the expected origin {expected}")
            }
            Problem::BundleLength { found, expected } => {
                write!(f, "the bundle holds {found} blocks, not {expected}")
            }
        }
    }
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading an object failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading or writing the local ledger failed.
    #[error("local ledger: {0}")]
    Ledger(#[source] Box<LedgerError>),
    /// No index object: not an archive (or nothing archived yet).
    #[error("{object} is missing: not a block archive, or an empty one")]
    NoIndex {
        /// The index object.
        object: String,
    },
    /// The index object is unusable.
    #[error("{object}: {source}")]
    Index {
        /// The index object.
        object: String,
        /// Why.
        #[source]
        source: IndexError,
    },
    /// A block object the index promises is missing.
    #[error("{object} is missing (block {index})")]
    Missing {
        /// The object.
        object: String,
        /// The block.
        index: u64,
    },
    /// An object that does not decode.
    #[error("{object} is damaged or tampered with (block {index}): {source}")]
    Undecodable {
        /// The object.
        object: String,
        /// The first block it should hold.
        index: u64,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// A block that fails a check.
    #[error("{object} is tampered with (block {index}): {problem}")]
    Tampered {
        /// The object.
        object: String,
        /// The block.
        index: u64,
        /// What is wrong.
        problem: Problem,
    },
    /// A block without a quorum of trusted signatures.
    #[error("{object}: block {index} is not signed by the trusted signers: {source}")]
    Unsigned {
        /// The object.
        object: String,
        /// The block.
        index: u64,
        /// How many signed.
        #[source]
        source: NotEnoughSignatures,
    },
    /// The ledger's append checks refused a block.
    #[error("{object}: the ledger refuses block {index}: {source}")]
    Refused {
        /// The object.
        object: String,
        /// The block.
        index: u64,
        /// Why.
        #[source]
        source: Box<LedgerError>,
    },
    /// Only the origin block is archived and no expected origin was given.
    #[error("{object}: the origin block alone cannot be verified (give the expected origin)")]
    OriginUnverified {
        /// The origin's object.
        object: String,
    },
    /// The index's id for its highest block is not the verified block's.
    #[error("{object} names {claimed} as block {index}, the verified block is {actual}")]
    IndexMismatch {
        /// The index object.
        object: String,
        /// The highest block.
        index: u64,
        /// The id the index claims.
        claimed: BlockId,
        /// The verified block's id.
        actual: BlockId,
    },
    /// The local ledger holds another block where the archive has one (another chain).
    #[error("{object}: block {index} is {archived}, this ledger's is {local}: another chain")]
    Diverged {
        /// The archive's object.
        object: String,
        /// The block.
        index: u64,
        /// The archive's id.
        archived: BlockId,
        /// The local id.
        local: BlockId,
    },
    /// The progress callback asked to stop; the ledger holds every block appended so far.
    #[error("interrupted at height {height}")]
    Interrupted {
        /// The ledger's height when it stopped.
        height: u64,
    },
}

/// What a sync trusts.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Trusted block signers and threshold.
    pub signers: SignerSet,
    /// The expected origin block id, if known (e.g. computed from the network's origin file).
    pub origin: Option<BlockId>,
}

/// Progress of a sync, after each appended block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncProgress {
    /// The ledger's height now.
    pub height: u64,
    /// The height the sync will reach (the index's highest + 1).
    pub target: u64,
}

/// What a sync did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncReport {
    /// Blocks appended.
    pub appended: u64,
    /// The ledger's height afterwards.
    pub height: u64,
    /// Bundle objects read.
    pub bundles: u64,
    /// Single-block objects read.
    pub singles: u64,
}

async fn read_index(archive: &Archive) -> Result<(u64, BlockId), SyncError> {
    let object = archive.describe(layout::INDEX_OBJECT);
    let bytes = archive
        .get(layout::INDEX_OBJECT)
        .await?
        .ok_or(SyncError::NoIndex { object: object.clone() })?;
    let (ix, id) =
        ArchiveIndex::parse(&bytes).map_err(|source| SyncError::Index { object, source })?;
    Ok((ix.highest, id))
}

/// The objects holding blocks `next..`: a whole bundle if one lies ahead within `highest`
/// and exists, else the single block.
async fn fetch(
    archive: &Archive,
    next: u64,
    highest: u64,
    report: &mut SyncReport,
) -> Result<(String, Vec<BlockData>), SyncError> {
    for size in layout::BUNDLE_SIZES {
        if !next.is_multiple_of(size) || next + size - 1 > highest {
            continue;
        }
        let name = layout::bundle_object(size, next);
        let Some(bytes) = archive.get(&name).await? else { continue };
        let object = archive.describe(&name);
        let blocks = layout::decode_bundle(&bytes, size).map_err(|source| {
            SyncError::Undecodable { object: object.clone(), index: next, source }
        })?;
        if blocks.len() as u64 != size {
            let problem = Problem::BundleLength { found: blocks.len(), expected: size };
            return Err(SyncError::Tampered { object, index: next, problem });
        }
        report.bundles += 1;
        return Ok((object, blocks));
    }
    let name = layout::block_object(next);
    let object = archive.describe(&name);
    let bytes = archive
        .get(&name)
        .await?
        .ok_or(SyncError::Missing { object: object.clone(), index: next })?;
    let data = BlockData::from_canonical_bytes(&bytes)
        .map_err(|source| SyncError::Undecodable { object: object.clone(), index: next, source })?;
    report.singles += 1;
    Ok((object, vec![data]))
}

/// Rules 1-4 for block `index` read from `object`, given the previous block.
fn verify(
    object: &str,
    index: u64,
    data: &BlockData,
    parent: Option<&Block>,
    opts: &SyncOptions,
) -> Result<(), SyncError> {
    let tampered = |problem| SyncError::Tampered { object: object.to_string(), index, problem };
    let b = &data.block;
    if b.index != index {
        return Err(tampered(Problem::WrongIndex { found: b.index }));
    }
    if data.contents.hash() != b.contents_hash {
        return Err(tampered(Problem::ContentsHash));
    }
    if b.compute_id() != b.id {
        return Err(tampered(Problem::Id));
    }
    let expected = parent.map_or(BlockId::default(), |p| p.id);
    if b.parent_id != expected {
        return Err(tampered(Problem::Parent { expected, found: b.parent_id }));
    }
    if index == 0 {
        return match opts.origin {
            Some(expected) if expected != b.id => {
                Err(tampered(Problem::Origin { expected, found: b.id }))
            }
            _ => Ok(()),
        };
    }
    opts.signers.check(data).map_err(|source| SyncError::Unsigned {
        object: object.to_string(),
        index,
        source,
    })
}

fn local(e: LedgerError) -> SyncError {
    SyncError::Ledger(Box::new(e))
}

fn append(
    ledger: &mut (impl Ledger + ?Sized),
    object: &str,
    data: &BlockData,
) -> Result<(), SyncError> {
    match ledger.append_block(data) {
        Ok(()) => Ok(()),
        Err(source @ LedgerError::Rejected(_)) => {
            let source = Box::new(source);
            Err(SyncError::Refused { object: object.to_string(), index: data.block.index, source })
        }
        Err(e) => Err(local(e)),
    }
}

/// Appends to `ledger` every archived block above its height, verified (see the module doc).
/// `progress` is called after each appended block; `ControlFlow::Break` stops the sync
/// ([`SyncError::Interrupted`]) with the ledger holding what was appended.
pub async fn sync(
    archive: &Archive,
    ledger: &mut (impl Ledger + ?Sized),
    opts: &SyncOptions,
    progress: &mut dyn FnMut(SyncProgress) -> ControlFlow<()>,
) -> Result<SyncReport, SyncError> {
    let (highest, highest_id) = read_index(archive).await?;
    let height = ledger.num_blocks().map_err(local)?;
    let mut report = SyncReport { appended: 0, height, bundles: 0, singles: 0 };
    if height > highest {
        // Nothing to fetch: check that the archive is of this ledger's chain.
        let (object, blocks) = fetch(archive, highest, highest, &mut report).await?;
        let local = ledger.block_header(highest).map_err(local)?;
        if let (Some(a), Some(l)) = (blocks.first(), local)
            && a.block.id != l.id
        {
            return Err(SyncError::Diverged {
                object,
                index: highest,
                archived: a.block.id,
                local: l.id,
            });
        }
        return Ok(report);
    }
    let target = highest + 1;
    let mut parent = ledger.last_block().map_err(local)?;
    let mut pending_origin: Option<(String, BlockData)> = None;
    let mut next = height;
    while next <= highest {
        let (object, blocks) = fetch(archive, next, highest, &mut report).await?;
        for data in blocks {
            verify(&object, next, &data, parent.as_ref(), opts)?;
            parent = Some(data.block);
            next += 1;
            if data.block.index == 0 && opts.origin.is_none() {
                pending_origin = Some((object.clone(), data));
                continue;
            }
            if let Some((o, origin)) = pending_origin.take() {
                append(ledger, &o, &origin)?;
                report.appended += 1;
            }
            append(ledger, &object, &data)?;
            report.appended += 1;
            report.height = next;
            if progress(SyncProgress { height: next, target }).is_break() {
                return Err(SyncError::Interrupted { height: next });
            }
        }
    }
    if let Some((object, _)) = pending_origin {
        return Err(SyncError::OriginUnverified { object });
    }
    if let Some(p) = parent
        && p.id != highest_id
    {
        return Err(SyncError::IndexMismatch {
            object: archive.describe(layout::INDEX_OBJECT),
            index: highest,
            claimed: highest_id,
            actual: p.id,
        });
    }
    Ok(report)
}
