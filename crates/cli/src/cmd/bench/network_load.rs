//! The load side of `mcnode bench network`: a pool of independent transactions built before
//! the measurement from the load account's origin outputs (`devnet init --load-outputs`), an
//! open-loop submitter (transactions leave at their scheduled instants whatever the nodes
//! answer, spread over several attested client-API sessions per node, `mcnode-client`'s
//! [`GrpcNode`]), and a block watcher that reads node 0's blocks through the same public API
//! and notes when each load key image first appears in a block.
//!
//! Latency runs from a transaction's *scheduled* send time (so a client falling behind counts
//! against the figure) to the moment the watcher (polling every 20 ms) sees its block.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mcnode_client::GrpcNode;
use mcnode_client::node_api::NodeApi;
use mcnode_enclave::host_types::ProposedTx;
use mcnode_node::config::keyfile;
use mcnode_tx::KeyImage;
use rayon::prelude::*;

use super::devnet_client::Network;

/// Blocks before which a load transaction expires (far beyond any run; at most 20,160).
const TOMBSTONE: u64 = 20_000;
/// How often the watcher asks node 0 for new blocks.
const WATCH_EVERY: Duration = Duration::from_millis(20);

/// One pre-built load transaction.
pub struct LoadTx {
    /// What is proposed.
    pub tx: ProposedTx,
    /// Its (only) key image: how the watcher recognises it in a block.
    pub key_image: KeyImage,
}

/// Builds up to `count` load transactions from `load_file`'s origin outputs whose key image is
/// not in `spent`, on all cores, printing progress to stderr unless `quiet`.
pub fn build_pool(
    net: &Network,
    load_file: &Path,
    count: usize,
    spent: &HashSet<KeyImage>,
    quiet: bool,
) -> Result<Vec<LoadTx>, String> {
    let (account, _) = keyfile::read_account_key(load_file).map_err(|e| e.to_string())?;
    let to = account.default_address();
    let inputs: Vec<_> = net
        .spendable(&account)
        .into_iter()
        .filter_map(|s| {
            let ki =
                KeyImage::from_onetime_private(&s.tx_out.view(&account, 0).ok()?.onetime_private);
            (!spent.contains(&ki)).then_some((ki, s))
        })
        .take(count)
        .collect();
    let total = inputs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let t0 = Instant::now();
    let pool = inputs
        .into_par_iter()
        .map(|(ki, input)| {
            // Seeded by the input, not by its place in this pool: a later run on the same
            // devnet builds from other inputs, and must not remake an earlier run's outputs
            // (the nodes would refuse them as already in the ledger).
            let mut seed = [0u8; 8];
            seed.copy_from_slice(&ki.as_bytes()[..8]);
            let tx = net.pay(&account, input, &to, TOMBSTONE, u64::from_le_bytes(seed))?;
            let key_image =
                *tx.tx.key_images().first().ok_or("a load transaction without a key image")?;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if !quiet && (n.is_multiple_of(200) || n == total) {
                eprintln!(
                    "... built {n}/{total} load transactions ({:.0} s)",
                    t0.elapsed().as_secs_f64()
                );
            }
            Ok(LoadTx { tx, key_image })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(pool)
}

/// What happened to one submitted transaction.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Its key image.
    pub key_image: KeyImage,
    /// When it was due to leave.
    pub scheduled: Instant,
    /// The node's result code (`Ok`, a refusal's name, or `Unreachable` on a transport error).
    pub result: String,
}

/// Key images seen in blocks: when first seen and in which block.
#[derive(Default)]
pub struct Seen {
    /// Key image -> (instant first seen, block index).
    pub at: HashMap<KeyImage, (Instant, u64)>,
    /// Next block index to ask for.
    pub next: u64,
    /// Instants each block was first seen, by index.
    pub blocks: BTreeMap<u64, Instant>,
}

/// Asks node 0 for blocks from `seen.next` on, until none is new. `Err` on a transport error.
pub async fn poll_blocks(node: &mut GrpcNode, seen: &RefCell<Seen>) -> Result<(), String> {
    loop {
        let from = seen.borrow().next;
        let blocks = node.get_blocks(from, 100).await.map_err(|e| e.to_string())?;
        if blocks.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let mut s = seen.borrow_mut();
        for b in &blocks {
            let idx = b.block.index;
            s.blocks.entry(idx).or_insert(now);
            for ki in &b.contents.key_images {
                s.at.entry(*ki).or_insert((now, idx));
            }
            s.next = s.next.max(idx + 1);
        }
    }
}

/// Every key image in node 0's blocks so far (to skip load outputs an earlier run spent).
pub async fn spent_key_images(node: &mut GrpcNode) -> Result<HashSet<KeyImage>, String> {
    let seen = RefCell::new(Seen::default());
    poll_blocks(node, &seen).await?;
    Ok(seen.into_inner().at.into_keys().collect())
}

/// The devnet a load runs against: client URLs and the channel to attest.
pub struct Target<'a> {
    /// The network (channel configuration).
    pub net: &'a Network,
    /// Client API URLs, node 0 first.
    pub urls: Vec<String>,
    /// Sessions per node.
    pub sessions: usize,
}

/// Opens an attested session with `url`.
pub async fn connect(net: &Network, url: &str, seed: u64) -> Result<GrpcNode, String> {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    s[8..16].copy_from_slice(&super::devnet::unix_secs().to_le_bytes());
    GrpcNode::connect(url, net.channel(), &Network::verifier(), super::devnet::unix_secs(), s)
        .await
        .map_err(|e| e.to_string())
}

/// Submits `txs` open loop at `rate` per second (round robin over nodes and sessions) while
/// the watcher follows node 0's blocks; returns once every transaction left and then either
/// every accepted one was seen in a block or `drain` passed. `seen` keeps growing across calls.
pub async fn run_load(
    target: &Target<'_>,
    watcher: &mut GrpcNode,
    seen: &RefCell<Seen>,
    txs: &[LoadTx],
    rate: f64,
    drain: Duration,
) -> Result<Vec<Sent>, String> {
    let mut sessions = Vec::new();
    for (i, url) in target.urls.iter().enumerate() {
        for k in 0..target.sessions {
            sessions
                .push((url.clone(), connect(target.net, url, (i * 1000 + k) as u64).await.ok()));
        }
    }
    let n = sessions.len();
    let sent: Rc<RefCell<Vec<Sent>>> = Rc::new(RefCell::new(Vec::new()));
    let mut queues = Vec::new();
    let mut workers = Vec::new();
    for (w, (url, conn)) in sessions.into_iter().enumerate() {
        let (qtx, mut qrx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
        queues.push(qtx);
        let sent = sent.clone();
        let net = target.net;
        workers.push(async move {
            let mut conn = conn;
            while let Some((i, scheduled)) = qrx.recv().await {
                let Some(t) = txs.get(i) else { continue };
                if conn.is_none() {
                    conn = connect(net, &url, (w * 7919 + i) as u64).await.ok();
                }
                let result = match conn.as_mut() {
                    Some(c) => match c.propose(&t.tx.tx, &t.tx.ring_proofs).await {
                        Ok(r) => format!("{r:?}"),
                        Err(_) => {
                            conn = None;
                            "Unreachable".to_string()
                        }
                    },
                    None => "Unreachable".to_string(),
                };
                sent.borrow_mut().push(Sent { key_image: t.key_image, scheduled, result });
            }
        });
    }
    let schedule = async {
        let start = tokio::time::Instant::now();
        for i in 0..txs.len() {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(due).await;
            if let Some(q) = queues.get(i % n.max(1)) {
                let _ = q.send((i, due.into_std()));
            }
        }
        queues.clear();
    };
    let watch = async {
        loop {
            if poll_blocks(watcher, seen).await.is_err() {
                // The node closed the session (it restarted, or a keepalive lapsed while this
                // runtime was idle between steps): open another and read on.
                if let Some(url) = target.urls.first()
                    && let Ok(fresh) = connect(target.net, url, 3).await
                {
                    *watcher = fresh;
                }
            }
            let (done, total) = {
                let s = sent.borrow();
                let seen = seen.borrow();
                let ok: Vec<&Sent> = s.iter().filter(|x| x.result == "Ok").collect();
                (ok.iter().filter(|x| seen.at.contains_key(&x.key_image)).count(), ok.len())
            };
            if sent.borrow().len() == txs.len() && done == total {
                return;
            }
            tokio::time::sleep(WATCH_EVERY).await;
        }
    };
    // The workers run while the schedule feeds them; they end when it drops the queues.
    let all_sent = async {
        tokio::join!(schedule, futures_join_all(workers));
    };
    tokio::join!(all_sent, async {
        // The watcher stops once everything is in, or `drain` after the last send.
        let limit = Duration::from_secs_f64(txs.len() as f64 / rate) + drain;
        let _ = tokio::time::timeout(limit, watch).await;
    });
    let out = sent.borrow().clone();
    Ok(out)
}

/// Runs every future of `v` to completion, concurrently, on the current task.
async fn futures_join_all<F: std::future::Future<Output = ()>>(v: Vec<F>) {
    let mut futs: Vec<Option<std::pin::Pin<Box<F>>>> =
        v.into_iter().map(|f| Some(Box::pin(f))).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for slot in futs.iter_mut() {
            if let Some(f) = slot {
                if f.as_mut().poll(cx).is_pending() {
                    pending = true;
                } else {
                    *slot = None;
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await
}
