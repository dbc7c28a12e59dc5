//! Payments end to end on real processes (issue 13): one 4-node devnet made by `mcnode devnet
//! init` with its DEFAULT wallets (the origin must fund enough outputs for a ring of 11), real
//! `mcnode run` processes, and the real `mcwallet` binary (plus `mcnode-client` for the double
//! spend). One devnet is shared by the cases, in order, to keep CI time low: each case's
//! expected balances follow from the ones before.
//!
//! Bounded waits; every refusal is asserted by its stable `code` and exit code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mcnode_client::keyfile::read_account_key;
use mcnode_client::scan::DEFAULT_SUBADDRESSES;
use mcnode_client::{
    ClientError, NetworkFile, NodeError, Nodes, Payment, StateFile, TrustOptions, Wallet,
};
use mcnode_tx::TokenId;
use net::{MCNODE, NodeInfo, nodes_of, start, wait_connected};
use serde_json::Value;

const MCWALLET: &str = env!("CARGO_BIN_EXE_mcwallet");
const ONE0: u128 = 1_000_000_000_000;
const ONE1: u128 = 1_000_000;
const FEE: u128 = 400;

fn init(dir: &Path) -> Vec<NodeInfo> {
    let out = Command::new(MCNODE)
        .args(["devnet", "init"])
        .arg(dir)
        .args(["--block-interval-ms", "500", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "devnet init: {}", String::from_utf8_lossy(&out.stderr));
    nodes_of(&serde_json::from_slice(&out.stdout).unwrap())
}

/// `mcwallet --json --allow-simulated --wallet FILE ARGS`: (exit code, stdout JSON, stderr JSON).
fn mcwallet(wallet: &Path, extra: &[&str], args: &[&str]) -> (i32, Value, Value) {
    let out = Command::new(MCWALLET)
        .arg("--json")
        .arg("--wallet")
        .arg(wallet)
        .args(extra)
        .args(args)
        .output()
        .unwrap();
    let parse = |b: &[u8]| {
        let t = String::from_utf8_lossy(b);
        t.lines().rev().find_map(|l| serde_json::from_str::<Value>(l).ok()).unwrap_or(Value::Null)
    };
    (out.status.code().unwrap_or(-1), parse(&out.stdout), parse(&out.stderr))
}

fn sim(wallet: &Path, args: &[&str]) -> (i32, Value, Value) {
    mcwallet(wallet, &["--allow-simulated"], args)
}

fn ok(wallet: &Path, args: &[&str]) -> Value {
    let (code, out, err) = sim(wallet, args);
    assert_eq!(code, 0, "mcwallet {args:?} failed: {err}");
    out
}

fn refused(wallet: &Path, args: &[&str], exit: i32, code: &str) -> Value {
    let (c, _out, err) = sim(wallet, args);
    assert_eq!((c, err["error"]["code"].as_str()), (exit, Some(code)), "mcwallet {args:?}: {err}");
    err
}

/// Balance of `token` (spendable + pending) in base units.
fn balance(wallet: &Path, token: u64) -> u128 {
    let b = ok(wallet, &["balance"]);
    b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token"] == token)
        .map(|t| {
            t["spendable_base"].as_str().unwrap().parse::<u128>().unwrap()
                + t["pending_base"].as_str().unwrap().parse::<u128>().unwrap()
        })
        .unwrap_or(0)
}

fn address(wallet: &Path, sub: u64) -> String {
    let out = ok(wallet, &["address", "--subaddress", &sub.to_string()]);
    out["address"].as_str().unwrap().to_owned()
}

fn wallet(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("wallets/wallet-{i}.json"))
}

#[test]
fn payments_through_a_four_node_devnet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let nodes = init(&dir);
    let _procs: Vec<_> = nodes.iter().map(|n| start(n, &[])).collect();
    let all: Vec<_> = nodes.iter().collect();
    wait_connected(&all, 3, Duration::from_secs(120));
    let (w0, w1, w2, w3) = (wallet(&dir, 0), wallet(&dir, 1), wallet(&dir, 2), wallet(&dir, 3));

    // A wallet that was not told to accept simulated evidence refuses to go on.
    let (c, _, err) = mcwallet(&w0, &[], &["balance"]);
    assert_eq!((c, err["error"]["code"].as_str()), (3, Some("simulated_not_allowed")), "{err}");
    // Nor does one whose allow-list does not hold the node's measurement.
    let tm = tmp.path().join("other-measurements.toml");
    std::fs::write(
        &tm,
        format!("[current]\nrelease = \"other\"\nmeasurements = [\"{}\"]\n", "ab".repeat(32)),
    )
    .unwrap();
    let (c, _, err) = mcwallet(
        &w0,
        &["--allow-simulated", "--trusted-measurements", tm.to_str().unwrap()],
        &["send", "--to", &address(&w1, 0), "--amount", "1"],
    );
    assert_eq!((c, err["error"]["code"].as_str()), (3, Some("not_attested")), "{err}");

    // Funded by the origin: 1200 of token 0 (three outputs), 1000 of token 1.
    let start0 = 1200 * ONE0;
    assert_eq!(balance(&w0, 0), start0);
    assert_eq!(balance(&w0, 1), 1000 * ONE1);

    // Pay, then pay back: balances exact, fees included.
    let sent = ok(&w0, &["send", "--to", &address(&w1, 0), "--amount", "2.5"]);
    assert_eq!(sent["status"], "included", "{sent}");
    assert_eq!(balance(&w0, 0), start0 - 2 * ONE0 - ONE0 / 2 - FEE);
    assert_eq!(balance(&w1, 0), start0 + 2 * ONE0 + ONE0 / 2);
    ok(&w1, &["send", "--to", &address(&w0, 0), "--amount", "1"]);
    assert_eq!(balance(&w1, 0), start0 + ONE0 + ONE0 / 2 - FEE);
    assert_eq!(balance(&w0, 0), start0 - ONE0 - ONE0 / 2 - FEE);

    // To a subaddress: found by the recipient's scan, named in its history.
    ok(&w0, &["send", "--to", &address(&w2, 5), "--amount", "0.5"]);
    assert_eq!(balance(&w2, 0), start0 + ONE0 / 2);
    let h = ok(&w2, &["history"]);
    assert!(
        h["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["subaddress"] == 5 && e["kind"] == "received"),
        "{h}"
    );
    // ... with the time of its block (the median of the signers' clocks: now, give or take).
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let events = h["events"].as_array().unwrap();
    let e5 = events.iter().find(|e| e["subaddress"] == 5 && e["kind"] == "received").unwrap();
    let t = e5["time"].as_u64().unwrap_or_else(|| panic!("no block time: {e5}"));
    assert!(t + 600 >= now && t <= now + 60, "block time {t} is not near now {now}: {e5}");

    // The second token.
    ok(&w0, &["send", "--to", &address(&w3, 0), "--amount", "3", "--token", "1"]);
    assert_eq!(balance(&w0, 1), 1000 * ONE1 - 3 * ONE1 - FEE);
    assert_eq!(balance(&w3, 1), 1003 * ONE1);

    // Each refusal by its code.
    let e = refused(
        &w3,
        &["send", "--to", &address(&w0, 0), "--amount", "5000"],
        1,
        "insufficient_funds",
    );
    assert_eq!(e["error"]["spendable"], (start0).to_string());
    let mut bad = address(&w0, 0);
    let last = bad.pop().unwrap();
    bad.push(if last == 'a' { 'b' } else { 'a' });
    refused(&w3, &["send", "--to", &bad, "--amount", "1"], 2, "invalid_address");
    let other = tmp.path().join("testnet.key");
    let (c, made, err) = mcwallet(
        &other,
        &[],
        &["new", "--out", other.to_str().unwrap(), "--network-name", "testnet"],
    );
    assert_eq!(c, 0, "{err}");
    refused(
        &w3,
        &["send", "--to", made["address"].as_str().unwrap(), "--amount", "1"],
        2,
        "wrong_network",
    );
    refused(
        &w3,
        &["send", "--to", &address(&w0, 0), "--amount", "1", "--fee", "399base"],
        1,
        "fee_too_low",
    );
    refused(
        &w3,
        &["send", "--to", &address(&w0, 0), "--amount", "1", "--tombstone-blocks", "0"],
        1,
        "tombstone_passed",
    );
    refused(&w3, &["send", "--to", &address(&w0, 0), "--amount", "1.5x"], 2, "bad_amount");

    double_spend(&dir, &nodes);
}

fn seeded(seed: u64) -> rand_chacha::ChaCha20Rng {
    <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(seed)
}

/// Wallet 2 opened with its own state file, trusting all four nodes, submitting to `primary`.
async fn open_wallet2(dir: &Path, nodes: &[NodeInfo], primary: usize) -> (Wallet, Nodes) {
    let net = NetworkFile::load(&dir.join("wallets/network.json")).unwrap();
    let mut urls: Vec<String> = nodes.iter().map(|n| n.client.clone()).collect();
    urls.rotate_left(primary);
    let opts = TrustOptions {
        urls,
        trusted: mcnode_enclave::measurement::default_trusted_measurements(),
        allow_simulated: true,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (api, policy) =
        mcnode_client::connect(&net, &opts, now, &mut seeded(primary as u64)).await.unwrap();
    let (account, network) = read_account_key(&wallet(dir, 2)).unwrap();
    let state = StateFile::new(dir.join(format!("double-spend-{primary}.state")));
    (Wallet::open(account, network, policy, DEFAULT_SUBADDRESSES, state).unwrap(), api)
}

/// One input (wallet 2's only token-1 output) spent by two different transactions sent to two
/// different nodes at the same moment: at most one lands; a refused one is refused by name.
fn double_spend(dir: &Path, nodes: &[NodeInfo]) {
    let w3 = wallet(dir, 3);
    let before3 = balance(&w3, 1);
    let to_text = address(&w3, 0);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let (mut a, mut na) = open_wallet2(dir, nodes, 0).await;
        let (mut b, mut nb) = open_wallet2(dir, nodes, 1).await;
        a.sync(&mut na).await.unwrap();
        b.sync(&mut nb).await.unwrap();
        let to = a.parse_address(&to_text).unwrap();
        let pay = |amount: u64| Payment {
            to,
            amount,
            token: TokenId(1),
            fee: None,
            tombstone: None,
            memo: None,
        };
        let (mut ra, mut rb) = (seeded(11), seeded(12));
        let (p5, p7) = (pay(5_000_000), pay(7_000_000));
        let (x, y) = tokio::join!(a.pay(&mut na, &p5, &mut ra), b.pay(&mut nb, &p7, &mut rb));
        assert!(x.is_ok() || y.is_ok(), "neither copy was accepted: {x:?} {y:?}");
        for r in [&x, &y] {
            if let Err(e) = r {
                let ClientError::Node(NodeError::Refused(refusal)) = e else {
                    panic!("the refused copy was not refused by the node: {e}");
                };
                let name = refusal.name();
                assert!(["KeyImageSpent", "KeyImageInBatch"].contains(&name.as_str()), "{name}");
            }
        }
        let pause = || tokio::time::sleep(Duration::from_millis(300));
        if let Ok(s) = &x {
            a.await_inclusion(&mut na, s, pause).await.unwrap();
        }
        if let Ok(s) = &y {
            b.await_inclusion(&mut nb, s, pause).await.unwrap();
        }
    });
    // Exactly one of the two payments reached wallet 3.
    let after3 = balance(&w3, 1);
    assert!(
        after3 == before3 + 5 * ONE1 || after3 == before3 + 7 * ONE1,
        "wallet 3 got {} base units of token 1: not exactly one payment",
        after3 - before3
    );
}
