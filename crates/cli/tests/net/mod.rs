//! Test side of the multi-process tests: a devnet made by `mcnode devnet init`, its nodes as
//! real `mcnode run` processes on loopback, their `/info`, and a minimal client that submits a
//! transaction through the client API (attested Noise NX with `mcnode_enclave::channel`'s
//! client side, a transaction built with `mcnode-tx`'s builder from a demo wallet's origin
//! outputs, ring proofs from the origin ledger).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcnode_api::pb::client::v1::{AuthRequest, ProposeTxRequest};
use mcnode_api::pb::common::v1::ProposeTxResult;
use mcnode_attest::{Policy, Verifier};
use mcnode_enclave::call::config_digest;
use mcnode_enclave::channel::{ChannelConfig, ClientHandshake};
use mcnode_enclave::chunks::seal_chunks;
use mcnode_enclave::host::ring_proofs;
use mcnode_enclave::host_types::{FeeEntry, ProposedTx};
use mcnode_enclave::measurement::default_trusted_measurements;
use mcnode_ledger::{Ledger, MemoryLedger};
use mcnode_node::config::{self, Overrides, keyfile};
use mcnode_tx::builder::{SpendableOutput, TransactionBuilder};
use mcnode_tx::testkit::UniformDecoys;
use mcnode_tx::{TokenId, TxOut};
use mcnode_types::Encode;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;

pub const MCNODE: &str = env!("CARGO_BIN_EXE_mcnode");

/// One node of the devnet.
pub struct NodeInfo {
    pub config: PathBuf,
    pub dir: PathBuf,
    pub admin: String,
    pub client: String,
    /// The peer API's `host:port`.
    pub peer: String,
    pub id: String,
}

/// A running `mcnode run`; killed on drop.
pub struct Proc {
    pub child: Option<Child>,
    pub log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Proc {
    /// Sends SIGTERM and waits (bounded) for the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut c = self.child.take()?;
        Command::new("kill").arg("-TERM").arg(c.id().to_string()).status().unwrap();
        let t0 = Instant::now();
        loop {
            if let Some(s) = c.try_wait().unwrap() {
                return s.code();
            }
            if t0.elapsed() > Duration::from_secs(30) {
                let _ = c.kill();
                panic!("node did not stop within 30 s of SIGTERM; log {}", self.log.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `mcnode devnet init DIR --nodes N --block-interval-ms 1000 --wallets 6 --json`; six wallets
/// give the origin 12 outputs, enough for one ring of 11.
pub fn devnet_init(dir: &Path, nodes: u32) -> Vec<NodeInfo> {
    devnet_init_with(dir, &["--nodes", &nodes.to_string()])
}

/// `mcnode devnet init DIR ARGS --block-interval-ms 1000 --wallets 6 --json` (e.g. ARGS
/// `--topology FILE`): its nodes.
pub fn devnet_init_with(dir: &Path, args: &[&str]) -> Vec<NodeInfo> {
    let out = Command::new(MCNODE)
        .args(["devnet", "init"])
        .arg(dir)
        .args(args)
        .args(["--block-interval-ms", "1000", "--wallets", "6"])
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "devnet init: {}", String::from_utf8_lossy(&out.stderr));
    nodes_of(&serde_json::from_slice(&out.stdout).unwrap())
}

/// The nodes of `mcnode devnet init --json`'s document.
pub fn nodes_of(v: &Value) -> Vec<NodeInfo> {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| NodeInfo {
            config: n["config"].as_str().unwrap().into(),
            dir: n["dir"].as_str().unwrap().into(),
            admin: n["admin_url"].as_str().unwrap().trim_start_matches("http://").to_owned(),
            client: n["client_url"].as_str().unwrap().to_owned(),
            peer: n["peer_url"].as_str().unwrap().trim_start_matches("http://").to_owned(),
            id: n["id"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// Starts `mcnode run` for `node` (extra `--set` overrides), logging to `node.dir/run.log`.
pub fn start(node: &NodeInfo, sets: &[&str]) -> Proc {
    let log = node.dir.join("run.log");
    let f = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
    let mut cmd = Command::new(MCNODE);
    cmd.arg("run").arg("--config").arg(&node.config);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let child = cmd
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .spawn()
        .unwrap();
    Proc { child: Some(child), log }
}

/// `GET /info` of a node (`None` while it is not up).
pub fn info(admin: &str) -> Option<Value> {
    let mut s = std::net::TcpStream::connect(admin).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET /info HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let body = buf.split_once("\r\n\r\n")?.1;
    serde_json::from_str(body).ok()
}

/// Asserts that every node's last block (`/info`) has one id; `when` names the moment.
pub fn assert_same_last_block<'a>(nodes: impl IntoIterator<Item = &'a NodeInfo>, when: &str) {
    let ids: Vec<String> = nodes
        .into_iter()
        .map(|n| info(&n.admin).unwrap()["last_block"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.windows(2).all(|p| p[0] == p[1]), "block ids differ {when}: {ids:?}");
}

/// The value of the metric sample `sample` (name with labels, as printed) in Prometheus text.
pub fn metric(text: &str, sample: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(sample)?.strip_prefix(' ')?.trim().parse().ok())
}

/// One HTTP/1.1 request to a node's admin address: `(status, body)` (`None` while it is not
/// up). `body` is sent as is (`POST /log-level` takes a filter in plain text).
pub fn http(admin: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(admin).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Polls `cond` over every node's `/info` until it holds for all, or fails after `limit`
/// with `what` and the last answers.
pub fn wait_all(nodes: &[&NodeInfo], limit: Duration, what: &str, cond: impl Fn(&Value) -> bool) {
    let t0 = Instant::now();
    loop {
        let infos: Vec<Option<Value>> = nodes.iter().map(|n| info(&n.admin)).collect();
        if infos.iter().all(|i| i.as_ref().is_some_and(&cond)) {
            return;
        }
        if t0.elapsed() > limit {
            let mut logs = String::new();
            for n in nodes {
                let text = std::fs::read_to_string(n.dir.join("run.log")).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                logs.push_str(&format!("\n--- {} (last lines, newest first)\n", n.dir.display()));
                logs.push_str(&tail.join("\n"));
            }
            panic!("timed out after {limit:?} waiting for {what}; last /info: {infos:?}{logs}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Number of peers `/info` reports connected.
pub fn connected_peers(info: &Value) -> usize {
    info["peers"].as_array().map_or(0, |p| p.iter().filter(|p| p["state"] == "connected").count())
}

/// Waits until every node of `nodes` has `peers` connected peers.
pub fn wait_connected(nodes: &[&NodeInfo], peers: usize, limit: Duration) {
    wait_all(nodes, limit, &format!("{peers} peers connected"), |i| connected_peers(i) == peers);
}

/// A wallet able to pay from its origin outputs.
pub struct Wallet {
    pub account: mcnode_tx::AccountKey,
    pub ledger: MemoryLedger,
    pub outputs: Vec<TxOut>,
    pub spendable: Vec<SpendableOutput>,
    pub channel: ChannelConfig,
    pub chain_id: String,
}

/// Wallet `i` of the devnet in `dir`, as node `cfg_path` is configured (its attested
/// configuration digest).
pub fn wallet(dir: &Path, i: usize, cfg_path: &Path) -> Wallet {
    let (account, _) =
        keyfile::read_account_key(&dir.join(format!("wallets/wallet-{i}.json"))).unwrap();
    let loaded = config::load(cfg_path, &Overrides::default()).unwrap();
    let cfg = loaded.config;
    let text = std::fs::read_to_string(&cfg.ledger.origin).unwrap();
    let origin =
        mcnode_ledger::origin::origin_block(&mcnode_ledger::origin::parse(&text).unwrap()).unwrap();
    let mut ledger = MemoryLedger::new();
    ledger.append_block(&origin.block).unwrap();
    let outputs = origin.block.contents.outputs.clone();
    let spendable = outputs
        .iter()
        .filter_map(|o| {
            let owned = o.view(&account, 0).ok()?;
            Some(SpendableOutput { tx_out: *o, subaddress_index: 0, amount: owned.amount })
        })
        .collect();
    let fees: Vec<FeeEntry> = cfg
        .fees
        .minimum_fees()
        .into_iter()
        .map(|(t, f)| FeeEntry { token: TokenId(t), minimum_fee: f })
        .collect();
    let policy = mcnode_node::runtime::start::peer_policy(&cfg).unwrap();
    let digest = config_digest(&cfg.chain_id, &fees, &cfg.fees.recipient.address, &policy);
    let channel = ChannelConfig::new(&cfg.chain_id, digest);
    Wallet { account, ledger, outputs, spendable, channel, chain_id: cfg.chain_id }
}

impl Wallet {
    /// A payment of `value` (token 0) to `to`, spending the wallet's token-0 origin output.
    pub fn payment(&self, to: &mcnode_tx::PublicAddress, value: u64, seed: u64) -> ProposedTx {
        let input = self
            .spendable
            .iter()
            .find(|s| s.amount.token_id == TokenId(0))
            .expect("the wallet has a token-0 origin output")
            .clone();
        let mut b = TransactionBuilder::new(&self.account, TokenId(0), 1000, 100);
        b.add_input(input);
        b.add_output(value, to, None);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut decoys = UniformDecoys::new(&self.outputs, seed);
        let tx = b.build(&mut decoys, &mut rng).unwrap();
        let ring_proofs = ring_proofs(&self.ledger, &tx).unwrap();
        ProposedTx { tx, ring_proofs }
    }

    /// Opens an attested session with the node at `client_url` and proposes `tx`.
    pub async fn submit(&self, client_url: &str, tx: &ProposedTx, seed: u8) -> ProposeTxResult {
        let channel = tonic::transport::Endpoint::from_shared(client_url.to_owned())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = mcnode_api::limits::client_api_client(channel);
        let (hs, msg1) = ClientHandshake::start(&self.channel, [seed; 32]).unwrap();
        let msg2 =
            client.auth(AuthRequest { handshake: msg1 }).await.unwrap().into_inner().handshake;
        let verifier = Verifier::new(Policy::simulated(
            mcnode_attest::sim::SimRootKey::devnet().public(),
            default_trusted_measurements(),
        ));
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let (mut session, _claims) =
            hs.finish(&msg2, &verifier, now).expect("node's enclave attests");
        let msgs = seal_chunks(&mut session, &tx.to_canonical_bytes()).unwrap();
        let payload = mcnode_api::convert::channel::payload(session.id(), &msgs);
        let r = client
            .propose_tx(ProposeTxRequest { payload: Some(payload) })
            .await
            .unwrap()
            .into_inner();
        ProposeTxResult::try_from(r.result).unwrap_or(ProposeTxResult::Unspecified)
    }
}
