//! `mcnode ledger init|info|verify|blocks`: create and inspect a node's durable ledger
//! (`sync`, building one from a block archive, is in [`super::archive`]).
//!
//! `info`, `verify` and `blocks` read the ledger in a child process ([`super::contained`]), so
//! a storage-engine crash on a damaged `data.mdb` is reported, never suffered.
//!
//! Exit codes: 0 success (for `verify`: the ledger is sound); 1 the ledger is corrupt or rolled
//! back (for `verify`, the first bad block is named; a crash of the storage engine names what
//! was being read); 2 bad input (missing or non-ledger path, ledger in use, bad origin file);
//! 3 the storage engine failed (I/O).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use mcnode_ledger::origin::{self, OriginError};
use mcnode_ledger::{BlockData, Ledger, LedgerError, LmdbLedger, VerifyError};
use serde_json::{Value, json};

use super::contained::{self, progress};

/// Ledger operations.
#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Create a ledger whose origin block holds the outputs listed in an origin file.
    Init {
        /// Directory to create (must not exist, or be empty).
        path: PathBuf,
        /// Origin file (JSON; see examples/origin.json).
        #[arg(long)]
        origin: PathBuf,
    },
    /// Build or extend a ledger from a block archive, verifying every block (see `mcnode
    /// archive`). Exit 1 if the archive is refused (the bad object is named).
    Sync(super::archive::SyncArgs),
    /// Reads (each run in a child process).
    #[command(flatten)]
    Read(ReadCommand),
    /// Runs a read in this process (what `info`, `verify` and `blocks` start as their child).
    #[command(name = "contained-read", hide = true)]
    ContainedRead {
        /// The read.
        #[command(subcommand)]
        read: ReadCommand,
    },
}

/// Ledger reads, which a damaged database may crash.
#[derive(Subcommand, Debug)]
pub enum ReadCommand {
    /// Height, last block id and time, output and key-image counts, size on disk.
    Info {
        /// Ledger directory.
        path: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Recompute every id, parent link, contents hash and Merkle root, and check the indexes
    /// and the acknowledged-block record. Exit 0 if sound, 1 if corrupt or rolled back.
    Verify {
        /// Ledger directory.
        path: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List blocks.
    Blocks {
        /// Ledger directory.
        path: PathBuf,
        /// First block index.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Number of blocks.
        #[arg(long, default_value_t = 20)]
        count: u64,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a ledger subcommand.
pub fn run(cmd: LedgerCommand) -> ExitCode {
    match cmd {
        LedgerCommand::Init { path, origin } => done(init(&path, &origin)),
        LedgerCommand::Sync(args) => super::archive::run_sync(args),
        LedgerCommand::Read(read) => contain(&read),
        LedgerCommand::ContainedRead { read } => match read {
            ReadCommand::Info { path, json } => done(info(&path, json)),
            ReadCommand::Verify { path, json } => verify(&path, json),
            ReadCommand::Blocks { path, from, count, json } => {
                done(blocks(&path, from, count, json))
            }
        },
    }
}

fn done(result: Result<(), CmdError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

impl ReadCommand {
    /// The arguments that repeat this read in a child process.
    fn to_args(&self) -> Vec<OsString> {
        let (name, path, json) = match self {
            ReadCommand::Info { path, json } => ("info", path, *json),
            ReadCommand::Verify { path, json } => ("verify", path, *json),
            ReadCommand::Blocks { path, json, .. } => ("blocks", path, *json),
        };
        let mut a: Vec<OsString> = vec![name.into()];
        if let ReadCommand::Blocks { from, count, .. } = self {
            a.extend(["--from".into(), from.to_string().into()]);
            a.extend(["--count".into(), count.to_string().into()]);
        }
        if json {
            a.push("--json".into());
        }
        // `--`: a path that starts with `-` is still a path.
        a.extend(["--".into(), path.into()]);
        a
    }
}

/// Runs `read` in a child process; a crash of the child is reported as corruption (exit 1).
fn contain(read: &ReadCommand) -> ExitCode {
    let crash = match contained::run(read.to_args()) {
        Ok(Ok(code)) => return code,
        Ok(Err(crash)) => crash,
        Err(e) => {
            eprintln!("error: cannot run the ledger reader in a child process: {e}");
            return ExitCode::from(3);
        }
    };
    let what = format!(
        "the storage engine crashed ({}) while {}: the database is damaged",
        crash.how, crash.reading
    );
    match read {
        ReadCommand::Verify { json: true, .. } => {
            println!("{}", json!({"sound": false, "crashed": true, "problem": what}));
        }
        ReadCommand::Verify { .. } => println!("ledger is CORRUPT: {what}"),
        _ => eprintln!("error: ledger is corrupt: {what}"),
    }
    ExitCode::from(1)
}

/// Why a ledger command failed.
#[derive(Debug, thiserror::Error)]
enum CmdError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("cannot read origin file {path}: {source}")]
    ReadOrigin { path: PathBuf, source: std::io::Error },
    #[error("origin file {path}: {source}")]
    Origin { path: PathBuf, source: OriginError },
    #[error("{path} already exists and is not an empty directory; refusing to overwrite it")]
    Exists { path: PathBuf },
    #[error("{path} is left over from an interrupted `ledger init`; remove it and run init again")]
    Leftover { path: PathBuf },
    #[error("cannot move the new ledger into place at {path}: {source}")]
    Rename { path: PathBuf, source: std::io::Error },
}

fn fail(e: &CmdError) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        CmdError::Ledger(e) if e.is_corruption() => ExitCode::from(1),
        CmdError::Ledger(LedgerError::Storage(_) | LedgerError::AckWrite(_)) => ExitCode::from(3),
        _ => ExitCode::from(2),
    }
}

fn init(path: &Path, origin_path: &Path) -> Result<(), CmdError> {
    let text = std::fs::read_to_string(origin_path)
        .map_err(|source| CmdError::ReadOrigin { path: origin_path.to_path_buf(), source })?;
    let origin = origin::parse(&text)
        .and_then(|s| origin::origin_block(&s))
        .map_err(|source| CmdError::Origin { path: origin_path.to_path_buf(), source })?;
    // Atomic: build the ledger beside PATH, then rename it into place, so a crash leaves
    // either no ledger or one with its origin block (never an empty one at PATH).
    let occupied = path.exists()
        && !(path.is_dir() && std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none()));
    if occupied {
        return Err(CmdError::Exists { path: path.to_path_buf() });
    }
    let name =
        path.file_name().map_or_else(|| "ledger".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.init-tmp"));
    if tmp.exists() {
        return Err(CmdError::Leftover { path: tmp });
    }
    {
        let mut ledger = LmdbLedger::create(&tmp)?;
        ledger.append_block(&origin.block)?;
    }
    let rename = |source| CmdError::Rename { path: path.to_path_buf(), source };
    std::fs::rename(&tmp, path).map_err(rename)?;
    // Make the rename itself durable.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent).and_then(|d| d.sync_all()).map_err(rename)?;
    }
    println!("created ledger {}", path.display());
    println!("origin block id {}", origin.block.block.id);
    println!("network         {:?}", origin.network);
    println!("outputs         {}", origin.block.contents.outputs.len());
    for (token, total) in &origin.totals {
        println!("token {token} total {total}");
    }
    Ok(())
}

fn last_signed_at(b: &BlockData) -> Option<u64> {
    b.signatures.iter().map(|s| s.signed_at).max()
}

/// Opens the ledger, saying so first (the open scans every table and reads the last block).
fn open(path: &Path) -> Result<LmdbLedger, LedgerError> {
    progress(format_args!(
        "opening the ledger (scanning the outputs and blocks tables, checking the acknowledged-block record)"
    ));
    LmdbLedger::open(path)
}

fn info(path: &Path, as_json: bool) -> Result<(), CmdError> {
    let l = open(path)?;
    let height = l.num_blocks()?;
    let last = match height {
        0 => None,
        h => {
            progress(format_args!("reading block {}", h - 1));
            l.block(h - 1)?
        }
    };
    progress(format_args!("counting outputs and key images"));
    let outputs = l.num_outputs()?;
    let key_images = l.num_key_images()?;
    let disk = l.disk_size()?;
    let id = last.as_ref().map(|b| b.block.id.to_string());
    let time = last.as_ref().and_then(last_signed_at);
    if as_json {
        let v = json!({
            "path": path.display().to_string(), "height": height, "last_block_id": id,
            "last_block_signed_at": time, "outputs": outputs, "key_images": key_images,
            "disk_bytes": disk,
        });
        println!("{v}");
    } else {
        println!("ledger          {}", path.display());
        println!("height          {height} blocks");
        println!("last block id   {}", id.as_deref().unwrap_or("(none)"));
        match time {
            Some(t) => println!("last block time {t} (Unix seconds, latest signature)"),
            None => println!("last block time (unsigned block)"),
        }
        println!("outputs         {outputs}");
        println!("key images      {key_images}");
        println!("size on disk    {disk} bytes");
    }
    Ok(())
}

fn verify(path: &Path, as_json: bool) -> ExitCode {
    let l = match open(path) {
        Ok(l) => l,
        Err(e) if e.is_corruption() => return corrupt(as_json, &format!("at open: {e}")),
        Err(e) => return fail(&e.into()),
    };
    // (Progress must not read the database itself: a swallowed LMDB error poisons the
    // transaction, and verify would then see MDB_BAD_TXN instead of the corruption.)
    let report = l.snapshot().map_err(VerifyError::Storage).and_then(|s| {
        mcnode_ledger::verify::verify_with_progress(&*s, &mut |i| {
            progress(format_args!("verifying block {i} (past the last block: counting entries)"))
        })
    });
    match report {
        Ok(r) => {
            if as_json {
                let v = json!({"sound": true, "blocks": r.blocks, "outputs": r.outputs,
                    "key_images": r.key_images, "last_block_id": r.last_id.map(|i| i.to_string())});
                println!("{v}");
            } else {
                println!(
                    "ledger is sound: {} blocks, {} outputs, {} key images",
                    r.blocks, r.outputs, r.key_images
                );
            }
            ExitCode::SUCCESS
        }
        Err(VerifyError::Corrupt { block, problem }) => {
            if as_json {
                let v = json!({"sound": false, "first_bad_block": block,
                    "problem": format!("{problem:?}")});
                println!("{v}");
            } else {
                println!("ledger is CORRUPT: first bad block {block}: {problem:?}");
            }
            ExitCode::from(1)
        }
        Err(VerifyError::Storage(e)) if e.is_corruption() => {
            corrupt(as_json, &format!("the storage engine found its pages damaged ({e})"))
        }
        Err(VerifyError::Storage(e)) => fail(&e.into()),
    }
}

/// Reports corruption found other than at a block (`verify`, exit 1).
fn corrupt(as_json: bool, what: &str) -> ExitCode {
    if as_json {
        println!("{}", json!({"sound": false, "problem": what}));
    } else {
        println!("ledger is CORRUPT: {what}");
    }
    ExitCode::from(1)
}

fn block_json(b: &BlockData) -> Value {
    json!({
        "index": b.block.index,
        "id": b.block.id.to_string(),
        "parent_id": b.block.parent_id.to_string(),
        "version": b.block.version,
        "cumulative_txo_count": b.block.cumulative_txo_count,
        "root_element": b.block.root_element.to_string(),
        "contents_hash": b.block.contents_hash.to_string(),
        "outputs": b.contents.outputs.len(),
        "key_images": b.contents.key_images.len(),
        "signatures": b.signatures.iter().map(|s| json!({
            "signer": s.signer.to_string(), "signed_at": s.signed_at,
        })).collect::<Vec<_>>(),
    })
}

fn blocks(path: &Path, from: u64, count: u64, as_json: bool) -> Result<(), CmdError> {
    let l = open(path)?;
    progress(format_args!("reading up to {count} blocks from block {from}"));
    let list = l.blocks(from, count)?;
    if as_json {
        println!("{}", Value::Array(list.iter().map(block_json).collect()));
        return Ok(());
    }
    println!(
        "{:>8}  {:<64}  {:>7}  {:>7}  {:>10}  {:>4}",
        "index", "id", "outputs", "spent", "total out", "sigs"
    );
    for b in &list {
        println!(
            "{:>8}  {:<64}  {:>7}  {:>7}  {:>10}  {:>4}",
            b.block.index,
            b.block.id.to_string(),
            b.contents.outputs.len(),
            b.contents.key_images.len(),
            b.block.cumulative_txo_count,
            b.signatures.len()
        );
    }
    Ok(())
}
