//! Publishing each block to the block archive as the node appends it (`[archive] url` in the
//! configuration; layout and guarantees in `mcnode_archive::publish`).
//!
//! Guarantees:
//! - Never holds up consensus: the publisher only watches the block count the actor
//!   publishes as it appends, runs on its own thread (with its own small tokio runtime), and reads
//!   the ledger one short read at a time under the node's ledger lock, never across an upload.
//! - Failures are logged and retried with backoff (1 s doubling to 60 s); the next attempt
//!   publishes every block the archive lacks (`publish_block` fills gaps), so nothing is lost
//!   while the store is down, and blocks appended meanwhile are coalesced.
//! - A URL that cannot be opened refuses the start (a configuration mistake, not an outage).

use std::time::Duration;

use mcnode_archive::{Archive, BlockSource, OpenError, publish_block};
use mcnode_ledger::{Block, BlockData, Ledger, LedgerError};
use tokio::sync::watch;

use super::ledger::SharedLedger;

/// First retry delay after a failed publish.
pub const RETRY_MIN: Duration = Duration::from_secs(1);
/// Longest retry delay.
pub const RETRY_MAX: Duration = Duration::from_secs(60);

/// Reads the shared ledger by blocking on its lock (only from the publisher's own thread).
struct Reader(SharedLedger);

impl BlockSource for Reader {
    fn num_blocks(&self) -> Result<u64, LedgerError> {
        self.0.read_blocking(Ledger::num_blocks)
    }
    fn block(&self, index: u64) -> Result<Option<BlockData>, LedgerError> {
        self.0.read_blocking(|l| Ledger::block(l, index))
    }
    fn blocks(&self, from: u64, count: u64) -> Result<Vec<BlockData>, LedgerError> {
        self.0.read_blocking(|l| Ledger::blocks(l, from, count))
    }
    fn block_header(&self, index: u64) -> Result<Option<Block>, LedgerError> {
        self.0.read_blocking(|l| Ledger::block_header(l, index))
    }
}

/// Why the publisher could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The URL cannot be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The publisher's thread or runtime could not be created.
    #[error("archive publisher thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Starts publishing to `url` every block `blocks` (the ledger's block count) reports, until
/// `stop` turns true.
pub fn spawn(
    url: &str,
    ledger: SharedLedger,
    blocks: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
) -> Result<std::thread::JoinHandle<()>, StartError> {
    let archive = Archive::create(url, &[])?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let handle = std::thread::Builder::new()
        .name("archive-publish".into())
        .spawn(move || rt.block_on(run(archive, Reader(ledger), blocks, stop)))?;
    Ok(handle)
}

async fn run(
    archive: Archive,
    ledger: Reader,
    mut blocks: watch::Receiver<u64>,
    mut stop: watch::Receiver<bool>,
) {
    let mut published: Option<u64> = None;
    let mut delay = RETRY_MIN;
    loop {
        if *stop.borrow() {
            return;
        }
        let target = blocks.borrow_and_update().checked_sub(1);
        if let Some(index) = target.filter(|t| published < Some(*t)) {
            match publish_block(&archive, &ledger, index).await {
                Ok(r) => {
                    published = Some(index);
                    delay = RETRY_MIN;
                    tracing::debug!(index, uploaded = r.uploaded, "block published to the archive");
                }
                Err(e) => {
                    tracing::warn!(
                        index, archive = archive.url(), error = %e, retry_in_s = delay.as_secs(),
                        "publishing to the archive failed; will retry"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.changed() => {}
                    }
                    delay = (delay * 2).min(RETRY_MAX);
                    continue;
                }
            }
        }
        tokio::select! {
            r = blocks.changed() => if r.is_err() { return },
            r = stop.changed() => if r.is_err() { return },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Instant;

    use mcnode_archive::testkit::grow;
    use mcnode_ledger::LmdbLedger;

    use super::*;

    fn highest(archive: &Path) -> Option<u64> {
        let text = std::fs::read_to_string(archive.join("index.json")).ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()?["highest"].as_u64()
    }

    async fn wait_for(archive: &Path, want: u64) {
        let t0 = Instant::now();
        while highest(archive) != Some(want) {
            assert!(t0.elapsed() < Duration::from_secs(10), "index at {:?}", highest(archive));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn a_failing_store_is_retried_and_the_blocks_appended_meanwhile_are_published() {
        let tmp = tempfile::tempdir().unwrap();
        let mut l = LmdbLedger::create(&tmp.path().join("ledger")).unwrap();
        grow(&mut l, 3);
        let ledger = SharedLedger::new(l);
        let dir = tmp.path().join("archive");
        std::fs::create_dir_all(&dir).unwrap();
        // A file where the `blocks/` directory must go: every block upload fails.
        std::fs::write(dir.join("blocks"), b"in the way").unwrap();
        let archive = Archive::create(dir.to_str().unwrap(), &[]).unwrap();
        let (status_tx, status) = watch::channel(3u64);
        let (stop_tx, stop) = watch::channel(false);
        let task = tokio::spawn(run(archive, Reader(ledger.clone()), status, stop));

        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(highest(&dir), None, "nothing can be published while the store fails");
        // Two more blocks land while the store is down.
        ledger.with(|l| grow(l, 5)).await.unwrap();
        status_tx.send_replace(5);
        // The store recovers: the next retry publishes every block, up to the newest.
        std::fs::remove_file(dir.join("blocks")).unwrap();
        wait_for(&dir, 4).await;
        for i in 0..5u64 {
            assert!(dir.join(format!("blocks/{i:016x}")).is_file(), "block {i} missing");
        }
        stop_tx.send_replace(true);
        tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn each_block_is_published_as_the_status_reports_it() {
        let tmp = tempfile::tempdir().unwrap();
        let mut l = LmdbLedger::create(&tmp.path().join("ledger")).unwrap();
        grow(&mut l, 1);
        let ledger = SharedLedger::new(l);
        let dir = tmp.path().join("archive");
        let archive = Archive::create(dir.to_str().unwrap(), &[]).unwrap();
        let (status_tx, status) = watch::channel(1u64);
        let (stop_tx, stop) = watch::channel(false);
        let task = tokio::spawn(run(archive, Reader(ledger.clone()), status, stop));
        wait_for(&dir, 0).await;
        for h in 2..=4 {
            ledger.with(move |l| grow(l, h)).await.unwrap();
            status_tx.send_replace(h);
            wait_for(&dir, h - 1).await;
        }
        stop_tx.send_replace(true);
        tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    }
}
