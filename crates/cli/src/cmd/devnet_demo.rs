//! `mcnode devnet --demo`: a local network making real payments, with a verdict.
//!
//! Creates a fresh devnet (4 nodes, 4 funded demo wallets, one block per second at most) in
//! the directory it names, starts the nodes as child processes, and for a bounded time
//! (`--duration-secs`, default 30) has every demo wallet pay the next one through
//! `mcnode-client`: attested channel to a node (wallet `i` submits to node `i`), decoys
//! proven against verified roots, blocks verified against a majority of the four nodes'
//! attested block-signing keys. Blocks are printed as they form. Then it checks, and prints:
//! every payment sent was confirmed (its key images in a verified block); every wallet's
//! balance after equals its balance before minus what it paid (amounts and fees) plus what it
//! received; every node holds the same number of blocks with the same last block id. The
//! nodes are stopped with SIGTERM. Exit 0 only if all of that holds (and the nodes stopped
//! cleanly); 1 otherwise; 2 bad input.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mcnode_client::keyfile::read_account_key;
use mcnode_client::pay::Inclusion;
use mcnode_client::scan::DEFAULT_SUBADDRESSES;
use mcnode_client::{NetworkFile, Nodes, Payment, StateFile, TrustOptions, Wallet};
use mcnode_tx::{PublicAddress, TokenId};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;

use super::devnet_up::{self, get_info};
use super::keys::os_random32;

/// Demo wallets (the default of `devnet init`).
const WALLETS: usize = 4;
/// How long after the demo's end a sent payment may take to be confirmed.
const CONFIRM_GRACE: Duration = Duration::from_secs(30);
/// Base units of token 0 in one whole token.
const ONE_TOKEN: u64 = 1_000_000_000_000;

/// What one wallet did.
#[derive(Default, Debug)]
struct Tally {
    sent: u64,
    confirmed: u64,
    /// Amount plus fee of the confirmed payments.
    paid: u128,
    /// Amounts of its confirmed payments (received by the next wallet).
    given: u128,
    errors: Vec<String>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn rng() -> Result<ChaCha20Rng, String> {
    Ok(ChaCha20Rng::from_seed(*os_random32().map_err(|e| e.to_string())?))
}

async fn open_wallet(dir: &Path, net: &NetworkFile, i: usize) -> Result<(Wallet, Nodes), String> {
    let file = dir.join(format!("wallets/wallet-{i}.json"));
    let (account, network) = read_account_key(&file).map_err(|e| e.to_string())?;
    let mut urls = net.nodes.clone();
    let n = urls.len().max(1);
    urls.rotate_left(i % n);
    let opts = TrustOptions {
        urls,
        trusted: mcnode_enclave::measurement::default_trusted_measurements(),
        allow_simulated: true,
    };
    let (nodes, policy) =
        mcnode_client::connect(net, &opts, now(), &mut rng()?).await.map_err(|e| e.to_string())?;
    let mut state = file.into_os_string();
    state.push(".state");
    let w = Wallet::open(account, network, policy, DEFAULT_SUBADDRESSES, StateFile::new(state))
        .map_err(|e| e.to_string())?;
    Ok((w, nodes))
}

async fn pay_loop(
    i: usize,
    w: &mut Wallet,
    api: &mut Nodes,
    to: PublicAddress,
    until: Instant,
) -> Tally {
    let mut t = Tally::default();
    let Ok(mut r) = rng() else { return t };
    let amount = (i as u64 + 1) * ONE_TOKEN;
    while Instant::now() < until {
        let p = Payment { to, amount, token: TokenId(0), fee: None, tombstone: None, memo: None };
        let sent = match w.pay(api, &p, &mut r).await {
            Ok(s) => s,
            Err(e) => {
                t.errors.push(e.to_string());
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        t.sent += 1;
        println!(
            "  wallet-{i} -> wallet-{}: {} tokens, tx {}",
            (i + 1) % WALLETS,
            i + 1,
            sent.tx_hash
        );
        let pause = || tokio::time::sleep(Duration::from_millis(300));
        // Bounded: a payment not confirmed within the grace after the demo's end fails it.
        let limit = until.saturating_duration_since(Instant::now()) + CONFIRM_GRACE;
        let waited = tokio::time::timeout(limit, w.await_inclusion(api, &sent, pause)).await;
        let Ok(waited) = waited else {
            t.errors.push(format!("tx {} not confirmed within {limit:?}", sent.tx_hash));
            break;
        };
        match waited {
            Ok(Inclusion::Included { block }) => {
                t.confirmed += 1;
                t.paid += u128::from(amount) + u128::from(sent.fee);
                t.given += u128::from(amount);
                println!("  wallet-{i}: tx {} confirmed in block {block}", sent.tx_hash);
            }
            Ok(other) => t.errors.push(format!("tx {} {other:?}", sent.tx_hash)),
            Err(e) => t.errors.push(e.to_string()),
        }
    }
    t
}

/// Prints each new block as the nodes append it, until `stop`.
fn block_printer(admins: Vec<String>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut last = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let infos: Vec<_> = admins.iter().map(|a| get_info(a)).collect();
            let heights: Vec<u64> = infos
                .iter()
                .map(|i| i.as_ref().and_then(|v| v["height"].as_u64()).unwrap_or(0))
                .collect();
            let top = heights.iter().copied().max().unwrap_or(0);
            if top > last && last > 0 {
                let id = infos
                    .iter()
                    .flatten()
                    .find(|v| v["height"].as_u64() == Some(top))
                    .and_then(|v| {
                        v["last_block"]["id"]
                            .as_str()
                            .map(|s| s.chars().take(16).collect::<String>())
                    })
                    .unwrap_or_default();
                println!("block {} formed (id {id}...), heights per node {heights:?}", top - 1);
            }
            last = last.max(top);
            std::thread::sleep(Duration::from_millis(250));
        }
    })
}

fn wait_for(
    admins: &[String],
    limit: Duration,
    what: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> Result<(), String> {
    let t0 = Instant::now();
    loop {
        if admins.iter().all(|a| get_info(a).is_some_and(|v| ok(&v))) {
            return Ok(());
        }
        if t0.elapsed() > limit {
            return Err(format!("timed out after {limit:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

async fn demo(dir: &Path, admins: &[String], secs: u64) -> Result<bool, String> {
    let n = admins.len();
    println!("waiting for the {n} nodes to attest each other...");
    wait_for(admins, Duration::from_secs(120), "every node connected to its peers", |i| {
        i["peers"]
            .as_array()
            .is_some_and(|p| p.iter().filter(|x| x["state"] == "connected").count() + 1 >= n)
    })?;
    let net = NetworkFile::load(&dir.join("wallets/network.json")).map_err(|e| e.to_string())?;
    eprintln!("WARNING: the demo accepts SIMULATED attestation evidence (local devnet only).");
    let mut wallets = Vec::new();
    for i in 0..WALLETS {
        let (mut w, mut api) = open_wallet(dir, &net, i).await?;
        w.sync(&mut api).await.map_err(|e| format!("wallet-{i}: {e}"))?;
        wallets.push((w, api));
    }
    let before: Vec<u128> = wallets.iter().map(|(w, _)| w.balance(TokenId(0)).spendable).collect();
    let addrs: Vec<PublicAddress> = wallets.iter().map(|(w, _)| w.address(0).address).collect();
    println!(
        "paying between {WALLETS} demo wallets for {secs} s (each pays the next, one at a time):"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let printer = block_printer(admins.to_vec(), stop.clone());
    let until = Instant::now() + Duration::from_secs(secs);
    let mut it = wallets.iter_mut();
    let (Some((w0, a0)), Some((w1, a1)), Some((w2, a2)), Some((w3, a3))) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err("the demo needs 4 wallets".into());
    };
    let tallies = tokio::join!(
        pay_loop(0, w0, a0, addrs[1], until),
        pay_loop(1, w1, a1, addrs[2], until),
        pay_loop(2, w2, a2, addrs[3], until),
        pay_loop(3, w3, a3, addrs[0], until),
    );
    let tallies = [tallies.0, tallies.1, tallies.2, tallies.3];
    // Every node catches up to the same height before the ids are compared.
    let top = admins.iter().filter_map(|a| get_info(a)?["height"].as_u64()).max().unwrap_or(0);
    let same = wait_for(admins, Duration::from_secs(30), "every node at the same height", |i| {
        i["height"].as_u64() == Some(top)
    });
    stop.store(true, Ordering::Relaxed);
    let _ = printer.join();
    let ids: Vec<String> = admins
        .iter()
        .map(|a| {
            get_info(a)
                .and_then(|v| v["last_block"]["id"].as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    let mut after = Vec::new();
    for (i, (w, api)) in wallets.iter_mut().enumerate() {
        w.sync(api).await.map_err(|e| format!("wallet-{i}: {e}"))?;
        after.push(w.balance(TokenId(0)));
    }
    let sent: u64 = tallies.iter().map(|t| t.sent).sum();
    let confirmed: u64 = tallies.iter().map(|t| t.confirmed).sum();
    println!("\nverdict:");
    println!("  payments: {sent} sent, {confirmed} confirmed");
    let mut ok = sent > 0 && confirmed == sent;
    for i in 0..WALLETS {
        let received = tallies[(i + WALLETS - 1) % WALLETS].given;
        let expected = (before[i] + received).checked_sub(tallies[i].paid);
        let got = after[i].spendable + after[i].pending;
        let good = expected == Some(got) && after[i].pending == 0;
        ok &= good;
        println!(
            "  wallet-{i}: token 0 before {} after {} (expected {}) {}",
            fmt(before[i]),
            fmt(got),
            expected.map_or("underflow".into(), fmt),
            if good { "ok" } else { "MISMATCH" }
        );
        for e in tallies[i].errors.iter().take(3) {
            println!("    error: {e}");
        }
    }
    let identical = same.is_ok() && !ids[0].is_empty() && ids.windows(2).all(|p| p[0] == p[1]);
    ok &= identical;
    println!(
        "  blocks: {top} on every node; last block id {} on all {n} nodes: {}",
        ids[0],
        if identical { "identical" } else { "DIFFERENT" }
    );
    if !identical {
        println!("    ids: {ids:?}");
    }
    Ok(ok)
}

fn fmt(v: u128) -> String {
    let one = u128::from(ONE_TOKEN);
    format!("{}.{:012}", v / one, v % one)
}

/// Runs the demo in `dir` (replaced if it holds an earlier devnet).
pub fn run(dir: &Path, secs: u64) -> ExitCode {
    let args = super::devnet::InitArgs::for_demo(dir.to_path_buf());
    match super::devnet::init(&args) {
        Ok(c) if c == ExitCode::SUCCESS => {}
        Ok(c) => return c,
        Err(e) => {
            eprintln!("mcnode devnet --demo: {e}");
            return ExitCode::from(2);
        }
    }
    let mut nodes = match devnet_up::start(dir) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("mcnode devnet --demo: {e}");
            return ExitCode::from(2);
        }
    };
    let admins: Vec<String> = nodes.iter().map(|n| n.admin.clone()).collect();
    let result =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt.block_on(demo(dir, &admins, secs)),
            Err(e) => Err(e.to_string()),
        };
    eprintln!("stopping the nodes...");
    let clean = devnet_up::stop_all(&mut nodes);
    match result {
        Ok(true) if clean => {
            println!("PASS: payments confirmed by a local network of {} nodes", admins.len());
            ExitCode::SUCCESS
        }
        Ok(_) => {
            println!("FAIL (see above; node logs in {}/node-*/node.log)", dir.display());
            ExitCode::from(1)
        }
        Err(e) => {
            println!("FAIL: {e} (node logs in {}/node-*/node.log)", dir.display());
            ExitCode::from(1)
        }
    }
}
