//! `mcnode archive --ledger PATH --to URL` (publish a ledger's blocks to object storage) and
//! `mcnode ledger sync --from URL PATH` (build or extend a ledger from such an archive,
//! verifying every block). The work is in `mcnode-archive`; this module parses arguments,
//! shows progress and maps errors to exit codes.
//!
//! Exit codes: 0 success; 1 the archive was refused (a tampered, missing or unsigned object,
//! which the message names, or another chain); 2 bad input (URL, signers file, threshold,
//! origin file, a ledger in use); 3 a storage failure (object store or local ledger I/O).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mcnode_archive::{
    Archive, OpenError, PublishError, SignerSet, SignersError, SyncError, SyncOptions,
};
use mcnode_ledger::origin::{self, OriginError};
use mcnode_ledger::{BlockId, Ledger, LedgerError, LmdbLedger};
use serde_json::json;

/// `mcnode archive`.
#[derive(Args, Debug)]
pub struct ArchiveArgs {
    /// Ledger directory to publish (not while a node has it open).
    #[arg(long)]
    ledger: PathBuf,
    /// Archive URL: a directory path, file:///abs/path, or s3://bucket/prefix (S3 settings
    /// from AWS_* environment variables, e.g. AWS_ENDPOINT for an S3-compatible server).
    #[arg(long)]
    to: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// `mcnode ledger sync`.
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Archive URL (as for `mcnode archive --to`).
    #[arg(long)]
    from: String,
    /// Ledger directory: created if missing, extended if present.
    path: PathBuf,
    /// File of trusted block-signing node ids, one per line (`#` comments).
    #[arg(long)]
    signers: PathBuf,
    /// How many of them must have signed each block.
    #[arg(long)]
    threshold: usize,
    /// The network's origin file: the archive's block 0 must be this origin block.
    #[arg(long)]
    origin: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Why an archive command failed.
#[derive(Debug, thiserror::Error)]
enum CmdError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Publish(Box<PublishError>),
    #[error(transparent)]
    Sync(Box<SyncError>),
    #[error("ledger {path}: {source}")]
    Ledger { path: PathBuf, source: Box<LedgerError> },
    #[error("signers file {path}: {source}")]
    Signers { path: PathBuf, source: SignersError },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("origin file {path}: {source}")]
    Origin { path: PathBuf, source: OriginError },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

impl From<PublishError> for CmdError {
    fn from(e: PublishError) -> Self {
        CmdError::Publish(Box::new(e))
    }
}

impl From<SyncError> for CmdError {
    fn from(e: SyncError) -> Self {
        CmdError::Sync(Box::new(e))
    }
}

fn ledger_err(path: &Path) -> impl Fn(LedgerError) -> CmdError + '_ {
    move |e| CmdError::Ledger { path: path.to_path_buf(), source: Box::new(e) }
}

impl CmdError {
    fn exit_code(&self) -> u8 {
        match self {
            CmdError::Publish(e) => match **e {
                PublishError::OtherChain { .. }
                | PublishError::Differs { .. }
                | PublishError::Index { .. } => 1,
                _ => 3,
            },
            CmdError::Sync(e) => match **e {
                SyncError::Store(_) | SyncError::Ledger(_) => 3,
                _ => 1,
            },
            CmdError::Runtime(_) => 3,
            CmdError::Ledger { source, .. } => match **source {
                ref e if e.is_corruption() => 1,
                LedgerError::Storage(_) | LedgerError::AckWrite(_) => 3,
                _ => 2,
            },
            _ => 2,
        }
    }
}

fn finish(r: Result<(), CmdError>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CmdError> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(CmdError::Runtime)
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{what} {{bar:40}} {{pos}}/{{len}} blocks ({{per_sec}}, eta {{eta}})"
    )) {
        pb.set_style(style);
    }
    pb
}

/// Runs `mcnode archive`.
pub fn run_archive(args: ArchiveArgs) -> ExitCode {
    finish(archive(&args))
}

fn open_ledger(path: &Path) -> Result<LmdbLedger, CmdError> {
    LmdbLedger::open(path).map_err(ledger_err(path))
}

fn archive(args: &ArchiveArgs) -> Result<(), CmdError> {
    let ledger = open_ledger(&args.ledger)?;
    let archive = Archive::create(&args.to, &[])?;
    let pb = bar(0, "archiving");
    let report = runtime()?.block_on(mcnode_archive::archive_ledger(
        &archive,
        &ledger,
        &mut |done, total| {
            pb.set_length(total);
            pb.set_position(done);
        },
    ))?;
    pb.finish_and_clear();
    let highest = report.highest.map_or_else(|| "none (empty ledger)".into(), |h| h.to_string());
    if args.json {
        out!(
            "{}",
            json!({"archive": archive.url(), "uploaded": report.uploaded,
                   "present": report.present, "highest": report.highest})
        );
    } else {
        out!("archive {}", archive.url());
        out!("objects uploaded {} (already present {})", report.uploaded, report.present);
        out!("highest block    {highest}");
    }
    Ok(())
}

/// Runs `mcnode ledger sync`.
pub fn run_sync(args: SyncArgs) -> ExitCode {
    finish(sync(&args))
}

fn read(path: &Path) -> Result<String, CmdError> {
    std::fs::read_to_string(path).map_err(|source| CmdError::Read { path: path.into(), source })
}

fn origin_id(path: &Path) -> Result<BlockId, CmdError> {
    let o = origin::parse(&read(path)?)
        .and_then(|s| origin::origin_block(&s))
        .map_err(|source| CmdError::Origin { path: path.into(), source })?;
    Ok(o.block.block.id)
}

fn sync(args: &SyncArgs) -> Result<(), CmdError> {
    let signers = SignerSet::parse(&read(&args.signers)?, args.threshold)
        .map_err(|source| CmdError::Signers { path: args.signers.clone(), source })?;
    let origin = args.origin.as_deref().map(origin_id).transpose()?;
    let opts = SyncOptions { signers, origin };
    let archive = Archive::open(&args.from, &[])?;
    let mut ledger = if args.path.exists() {
        open_ledger(&args.path)?
    } else {
        LmdbLedger::create(&args.path).map_err(ledger_err(&args.path))?
    };
    let start = ledger.num_blocks().map_err(ledger_err(&args.path))?;
    let pb = bar(0, "syncing");
    let report =
        runtime()?.block_on(mcnode_archive::sync(&archive, &mut ledger, &opts, &mut |p| {
            pb.set_length(p.target);
            pb.set_position(p.height);
            ControlFlow::Continue(())
        }));
    pb.finish_and_clear();
    let report = report?;
    if args.json {
        out!(
            "{}",
            json!({"archive": archive.url(), "appended": report.appended, "from": start,
                   "height": report.height, "bundles": report.bundles, "singles": report.singles})
        );
    } else {
        out!("synced {} from {}", args.path.display(), archive.url());
        out!("blocks appended {} (height {} -> {})", report.appended, start, report.height);
        out!("objects read    {} bundles, {} single blocks", report.bundles, report.singles);
    }
    Ok(())
}
