//! `mcnode devnet init DIR`: everything a local test network needs, on loopback.
//!
//! Layout of DIR (also described in `docs/config.md`):
//! - `node-I/node.toml`, `node-I/keys/message-signing.key` (0600), `node-I/keys/node-id`,
//!   `node-I/ledger/` (holding the origin block);
//! - `origin.json`: the origin file every node shares (funds the demo wallets);
//! - `wallets/wallet-I.json` (funded demo accounts) and `wallets/fees.json` (the fee
//!   recipient), account key files (0600) in the format of `mcnode_node::config::keyfile`;
//! - with `--load-outputs N`, `wallets/load.json`: the load account that owns N equal token-0
//!   origin outputs of [`LOAD_OUTPUT_VALUE`], one independent one-input transaction each
//!   (what `mcnode bench network` and `scripts/soak.sh` spend);
//! - `wallets/network.json`: the network file `mcwallet` reads (chain id, configuration
//!   digest, origin block id, client URLs; `mcnode_client::network`), so
//!   `mcwallet --wallet DIR/wallets/wallet-0.json --allow-simulated balance` works as is;
//! - `devnet.json`: what `--json` prints (nodes with their URLs, wallet files).
//!
//! Quorum sets come from `mcnode-sim`'s generators (`mesh:N:K`, `orgs:O:S`) or a stellarbeat
//! file, node `i` of the topology becoming `node-i`; every node lists every other as a peer.
//! Ports are chosen by binding port 0 on 127.0.0.1 (all held until every port is known, so no
//! two coincide). The generated configurations are checked with `mcnode config check`'s
//! rules before the command reports success. Exit codes: 0 created; 1 the generated network
//! failed its own check (a bug); 2 bad input (DIR not empty, bad topology, I/O failure).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mcnode_crypto::SigningIdentity;
use mcnode_enclave::call::config_digest;
use mcnode_enclave::host_types::FeeEntry;
use mcnode_ledger::{Ledger as _, LmdbLedger};
use mcnode_node::config::{Overrides, keyfile};
use mcnode_scp::QuorumSet;
use mcnode_sim::topology::Topology;
use mcnode_tx::AccountKey;
use mcnode_tx::address::{AddressString, Network};
use mcnode_types::NodeId;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use serde_json::{Value, json};

use super::keys::{MESSAGE_KEY_FILE, NODE_ID_FILE, create_private_dir, os_random32};

/// Demo funds per wallet: token 0, in [`TOKEN0_OUTPUTS`] equal outputs.
const FUNDS_TOKEN0: u64 = 1_200_000_000_000_000;
/// Origin outputs of token 0 per wallet. With the token-1 output that makes four per wallet,
/// so the default four wallets give the origin 16 outputs: enough for a ring of 11 (one real
/// input, ten decoys), and each wallet can have three payments in flight at once.
const TOKEN0_OUTPUTS: u64 = 3;
/// Demo funds per wallet: token 1.
const FUNDS_TOKEN1: u64 = 1_000_000_000;
/// Minimum fee of each devnet token.
const DEVNET_MIN_FEE: u64 = 400;
/// Value of each load output (`--load-outputs`): many payments of a few thousand units each.
pub const LOAD_OUTPUT_VALUE: u64 = 1_000_000;

/// `mcnode devnet` subcommands.
#[derive(Subcommand, Debug)]
pub enum DevnetCommand {
    /// Create a local test network: keys, one configuration per node, an origin ledger with
    /// funded demo wallets, free loopback ports.
    ///
    /// Every node gets DIR/node-I/ (node.toml, keys/, ledger/). Demo wallets are account key
    /// files under DIR/wallets/ (wallet-I.json, and fees.json for the fee recipient). The
    /// network uses the SIMULATED attestation platform (allow_simulated = true in every
    /// node.toml): it is for testing only. The configurations pass `mcnode config check`.
    #[command(after_help = "Examples:\n  mcnode devnet init ./devnet\n  \
        mcnode devnet init ./devnet --nodes 7 --topology mesh:7:4 --block-interval-ms 1000\n  \
        mcnode devnet init ./devnet --topology orgs:3:3 --json\n  \
        mcnode config check ./devnet/node-*/node.toml\n\n\
        Exit codes: 0 created; 1 the generated network failed its own check (a bug); 2 bad input.")]
    Init(InitArgs),
    /// Run every node of a devnet (made by `init`) as a child process, with a live status
    /// view; Ctrl-C stops them all cleanly. Logs: DIR/node-I/node.log.
    Up(super::devnet_up::UpArgs),
}

/// `mcnode devnet [--demo]` or a subcommand.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DevnetArgs {
    /// What to do; without one: create a devnet in --dir (unless one is there) and run it.
    #[command(subcommand)]
    command: Option<DevnetCommand>,
    /// Create a fresh 4-node devnet in --dir, run it, make payments between the demo
    /// wallets for --duration-secs, print blocks as they form, and end with a verdict
    /// (exit 0 only if every payment was confirmed, balances add up and every node holds
    /// the same blocks). Replaces an earlier devnet in --dir.
    #[arg(long)]
    demo: bool,
    /// The devnet directory (without a subcommand).
    #[arg(long, default_value = "mcnode-devnet")]
    dir: PathBuf,
    /// How long the demo makes payments, seconds.
    #[arg(long, default_value_t = 30)]
    duration_secs: u64,
}

/// Arguments of `devnet init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Directory to create (must be missing or empty; see --force).
    dir: PathBuf,
    /// Number of nodes (default 4, or the topology's size).
    #[arg(long)]
    nodes: Option<u32>,
    /// Who trusts whom: mesh:N:K (each node needs K of the N-1 others; default K is two thirds
    /// rounded up), orgs:O:S (O organisations of S nodes), or a stellarbeat JSON file.
    #[arg(long)]
    topology: Option<String>,
    /// Least time between blocks, milliseconds.
    #[arg(long, default_value_t = mcnode_node::config::DEFAULT_BLOCK_INTERVAL_MS)]
    block_interval_ms: u64,
    /// Number of funded demo wallets.
    #[arg(long, default_value_t = 4)]
    wallets: u32,
    /// Also fund a load account (DIR/wallets/load.json) with N equal token-0 origin outputs,
    /// one per load transaction (`mcnode bench network`, `scripts/soak.sh`).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=200_000))]
    pub load_outputs: u32,
    /// Chain id of the network.
    #[arg(long, default_value = "devnet")]
    chain_id: String,
    /// Replace an earlier devnet in DIR (only files devnet init makes are removed; any other
    /// file makes it refuse).
    #[arg(long)]
    force: bool,
    /// Print one JSON object: nodes (id, config, peer/client/admin URLs) and wallet files.
    #[arg(long)]
    json: bool,
}

impl InitArgs {
    /// The demo's devnet: 4 nodes, 4 wallets, blocks at most every second, replacing an
    /// earlier devnet in `dir`.
    pub fn for_demo(dir: PathBuf) -> InitArgs {
        InitArgs {
            dir,
            nodes: None,
            topology: None,
            block_interval_ms: 1000,
            wallets: 4,
            load_outputs: 0,
            chain_id: "devnet".into(),
            force: true,
            json: false,
        }
    }
}

/// Runs `mcnode devnet`: a subcommand, the demo, or (neither) init-if-needed then up.
pub fn run(args: DevnetArgs) -> ExitCode {
    let cmd = match (args.command, args.demo) {
        (Some(c), _) => c,
        (None, true) => return super::devnet_demo::run(&args.dir, args.duration_secs),
        (None, false) => {
            if !args.dir.join("devnet.json").exists() {
                let mut a = InitArgs::for_demo(args.dir.clone());
                a.block_interval_ms = mcnode_node::config::DEFAULT_BLOCK_INTERVAL_MS;
                a.force = false;
                match init(&a) {
                    Ok(c) if c == ExitCode::SUCCESS => {}
                    Ok(c) => return c,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            out!("running the devnet in {} (mcnode devnet up {0})", args.dir.display());
            DevnetCommand::Up(super::devnet_up::UpArgs { dir: args.dir })
        }
    };
    match cmd {
        DevnetCommand::Init(a) => match init(&a) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        DevnetCommand::Up(a) => super::devnet_up::run(&a),
    }
}

/// What devnet init makes at the top of DIR.
fn ours(name: &str) -> bool {
    name.starts_with("node-") || matches!(name, "wallets" | "origin.json" | "devnet.json")
}

fn prepare_dir(dir: &Path, force: bool) -> Result<(), String> {
    let entries: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    if entries.is_empty() {
        return create_private_dir(dir).map_err(|e| e.to_string());
    }
    if !force {
        return Err(format!(
            "{} is not empty; choose another directory, or --force to replace an earlier devnet",
            dir.display()
        ));
    }
    let foreign: Vec<&String> = entries.iter().filter(|n| !ours(n)).collect();
    if !foreign.is_empty() {
        return Err(format!(
            "{} holds files devnet init did not make ({}); refusing even with --force",
            dir.display(),
            foreign.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    for n in &entries {
        let p = dir.join(n);
        let r = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
        r.map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
    }
    Ok(())
}

/// The topology: a generator or a file; its size must agree with `--nodes`.
fn topology(a: &InitArgs) -> Result<Topology, String> {
    let spec = match (&a.topology, a.nodes) {
        (Some(t), _) => t.clone(),
        (None, n) => {
            let n = n.unwrap_or(4);
            let k = if n <= 1 { 0 } else { (2 * (n - 1)).div_ceil(3) };
            format!("mesh:{n}:{k}")
        }
    };
    let t = match Topology::generate(&spec) {
        Some(r) => r.map_err(|e| e.to_string())?,
        None => {
            let text = std::fs::read_to_string(&spec).map_err(|e| format!("{spec}: {e}"))?;
            Topology::from_stellarbeat_str(&text, &spec).map_err(|e| e.to_string())?
        }
    };
    if let Some(n) = a.nodes
        && n as usize != t.nodes.len()
    {
        return Err(format!("--nodes {n} but topology {spec} has {} nodes", t.nodes.len()));
    }
    Ok(t)
}

/// Renames the topology's nodes to real node ids, validators sorted by node id (a stable,
/// readable order; nodes learn each other's quorum sets from their statements).
fn remap(q: &QuorumSet, map: &BTreeMap<NodeId, NodeId>) -> Result<QuorumSet, NodeId> {
    let mut validators: Vec<NodeId> =
        q.validators.iter().map(|v| map.get(v).copied().ok_or(*v)).collect::<Result<_, _>>()?;
    validators.sort();
    let inner_sets = q.inner_sets.iter().map(|i| remap(i, map)).collect::<Result<_, _>>()?;
    Ok(QuorumSet { threshold: q.threshold, validators, inner_sets })
}

/// A quorum set as an inline TOML table.
fn inline_qset(q: &QuorumSet) -> String {
    let vals: Vec<String> = q.validators.iter().map(|v| format!("\"{v}\"")).collect();
    let inner: Vec<String> = q.inner_sets.iter().map(inline_qset).collect();
    format!(
        "{{ threshold = {}, validators = [{}], inner = [{}] }}",
        q.threshold,
        vals.join(", "),
        inner.join(", ")
    )
}

fn free_ports(n: usize) -> Result<Vec<u16>, String> {
    let listeners = (0..n)
        .map(|_| {
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr().map(|a| (l, a.port())))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    Ok(listeners.into_iter().map(|(_, p)| p).collect())
}

struct Node {
    name: String,
    id: NodeId,
    qset: QuorumSet,
    ports: [u16; 3],
}

fn node_toml(a: &InitArgs, me: usize, nodes: &[Node], recipient: &str) -> String {
    let n = &nodes[me];
    let mut s = format!(
        "# Devnet node {me} ({}), written by `mcnode devnet init`. Fields: docs/config.md.\n\
         chain_id = \"{}\"\npeer_listen = \"127.0.0.1:{}\"\nclient_listen = \"127.0.0.1:{}\"\n\
         admin_listen = \"127.0.0.1:{}\"\n\n[keys]\nmessage_signing_key = \"keys/{MESSAGE_KEY_FILE}\"\n\
         sealed_block_signing_key = \"keys/block-signing.sealed\"\n",
        n.name, a.chain_id, n.ports[0], n.ports[1], n.ports[2]
    );
    for (j, p) in nodes.iter().enumerate().filter(|(j, _)| *j != me) {
        let _ = write!(
            s,
            "\n[[peers]]  # node-{j}\nid = \"{}\"\naddress = \"127.0.0.1:{}\"\n",
            p.id, p.ports[0]
        );
    }
    let _ = write!(
        s,
        "\n[quorum_set]\nthreshold = {}\nvalidators = [{}]\ninner = [{}]\n",
        n.qset.threshold,
        n.qset.validators.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", "),
        n.qset.inner_sets.iter().map(inline_qset).collect::<Vec<_>>().join(", ")
    );
    let _ = write!(
        s,
        "\n[ledger]\npath = \"ledger\"\norigin = \"../origin.json\"\n\n[enclave]\nbackend = \"process\"\n\n\
         [enclave.attestation]\n# Devnet only: the simulated platform protects nothing against operators.\n\
         allow_simulated = true\n\n[fees]\nminimum = {{ \"0\" = {DEVNET_MIN_FEE}, \"1\" = {DEVNET_MIN_FEE} }}\n\
         recipient = \"{recipient}\"\n\n[consensus]\nblock_interval_ms = {}\n",
        a.block_interval_ms
    );
    s
}

/// Runs `devnet init`.
pub fn init(a: &InitArgs) -> Result<ExitCode, String> {
    let topo = topology(a)?;
    // Rings sample their decoys from the origin: it must hold at least one ring's worth.
    let origin_outputs = u64::from(a.wallets) * (TOKEN0_OUTPUTS + 1) + u64::from(a.load_outputs);
    if origin_outputs < mcnode_tx::ring::RING_SIZE as u64 {
        return Err(format!(
            "the origin block would hold {origin_outputs} outputs, fewer than a ring of {}: \
             add --wallets or --load-outputs",
            mcnode_tx::ring::RING_SIZE
        ));
    }
    prepare_dir(&a.dir, a.force)?;
    // Absolute paths in the output and manifest: they are read from other directories.
    let dir = &std::fs::canonicalize(&a.dir).map_err(|e| format!("{}: {e}", a.dir.display()))?;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| format!("{}: {e}", p.display())
    };
    // Keys: topology node i becomes node-i with a fresh key.
    let mut keys = Vec::new();
    for _ in &topo.nodes {
        keys.push(SigningIdentity::from_seed(&*os_random32().map_err(|e| e.to_string())?));
    }
    let map: BTreeMap<NodeId, NodeId> =
        topo.nodes.iter().zip(&keys).map(|(t, k)| (t.id, keyfile::node_id(k))).collect();
    let ports = free_ports(3 * topo.nodes.len())?;
    let mut nodes = Vec::new();
    for (i, t) in topo.nodes.iter().enumerate() {
        let qset = remap(&t.qset, &map).map_err(|v| {
            format!("node {}'s quorum set names {v}, which is not a node of the topology", t.label)
        })?;
        let id = keyfile::node_id(&keys[i]);
        nodes.push(Node {
            name: t.label.clone(),
            id,
            qset,
            ports: [ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]],
        });
    }
    // Wallets and the fee recipient.
    let wallets_dir = dir.join("wallets");
    create_private_dir(&wallets_dir).map_err(|e| e.to_string())?;
    let mut rng = ChaCha20Rng::from_seed(*os_random32().map_err(|e| e.to_string())?);
    let address = |k: &AccountKey| {
        AddressString { network: Network::Devnet, address: k.default_address() }.to_string()
    };
    let fees_key = AccountKey::random(&mut rng);
    let fees_file = wallets_dir.join("fees.json");
    keyfile::write_account_key(&fees_file, &fees_key, Network::Devnet)
        .map_err(|e| e.to_string())?;
    let recipient = address(&fees_key);
    let mut wallets = Vec::new();
    let mut outputs = Vec::new();
    for w in 0..a.wallets {
        let key = AccountKey::random(&mut rng);
        let file = wallets_dir.join(format!("wallet-{w}.json"));
        keyfile::write_account_key(&file, &key, Network::Devnet).map_err(|e| e.to_string())?;
        let addr = address(&key);
        for _ in 0..TOKEN0_OUTPUTS {
            let value = FUNDS_TOKEN0 / TOKEN0_OUTPUTS;
            outputs.push(json!({"address": addr, "value": value, "token_id": 0}));
        }
        outputs.push(json!({"address": addr, "value": FUNDS_TOKEN1, "token_id": 1}));
        wallets.push(json!({"file": file.display().to_string(), "address": addr,
            "funds": {"0": FUNDS_TOKEN0, "1": FUNDS_TOKEN1}}));
    }
    let mut load = Value::Null;
    if a.load_outputs > 0 {
        let key = AccountKey::random(&mut rng);
        let file = wallets_dir.join("load.json");
        keyfile::write_account_key(&file, &key, Network::Devnet).map_err(|e| e.to_string())?;
        let addr = address(&key);
        for _ in 0..a.load_outputs {
            outputs.push(json!({"address": addr, "value": LOAD_OUTPUT_VALUE, "token_id": 0}));
        }
        load = json!({"file": file.display().to_string(), "address": addr,
            "outputs": a.load_outputs, "value": LOAD_OUTPUT_VALUE, "token_id": 0});
    }
    if outputs.is_empty() {
        return Err("--wallets must be at least 1: the origin block needs an output".to_string());
    }

    let origin_json = json!({
        "comment": "Origin block of a devnet made by `mcnode devnet init`: funds the demo wallets under wallets/.",
        "outputs": outputs,
    });
    let origin_path = dir.join("origin.json");
    let origin_text = serde_json::to_string_pretty(&origin_json).map_err(|e| e.to_string())?;
    std::fs::write(&origin_path, &origin_text).map_err(io(&origin_path))?;
    let origin = mcnode_ledger::origin::parse(&origin_text)
        .and_then(|s| mcnode_ledger::origin::origin_block(&s))
        .map_err(|e| e.to_string())?;
    // One directory per node.
    let mut configs = Vec::new();
    let mut listed = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let nd = dir.join(format!("node-{i}"));
        let kd = nd.join("keys");
        create_private_dir(&kd).map_err(|e| e.to_string())?;
        keyfile::write_message_key(&kd.join(MESSAGE_KEY_FILE), &keys[i])
            .map_err(|e| e.to_string())?;
        std::fs::write(kd.join(NODE_ID_FILE), format!("{}\n", n.id)).map_err(io(&kd))?;
        let config = nd.join("node.toml");
        std::fs::write(&config, node_toml(a, i, &nodes, &recipient)).map_err(io(&config))?;
        let mut ledger = LmdbLedger::create(&nd.join("ledger")).map_err(|e| e.to_string())?;
        ledger.append_block(&origin.block).map_err(|e| e.to_string())?;
        listed.push(json!({
            "index": i, "name": n.name, "id": n.id.to_strkey(), "dir": nd.display().to_string(),
            "config": config.display().to_string(),
            "peer_url": format!("http://127.0.0.1:{}", n.ports[0]),
            "client_url": format!("http://127.0.0.1:{}", n.ports[1]),
            "admin_url": format!("http://127.0.0.1:{}", n.ports[2]),
        }));
        configs.push(config);
    }
    let net = network_file(&configs, &origin.block.block.id, &listed)?;
    let net_path = wallets_dir.join("network.json");
    std::fs::write(&net_path, net.to_json()).map_err(io(&net_path))?;
    let summary = json!({
        "dir": dir.display().to_string(), "chain_id": a.chain_id, "topology": topo.source,
        "block_interval_ms": a.block_interval_ms, "origin": origin_path.display().to_string(),
        "origin_block_id": origin.block.block.id.to_string(),
        "nodes": listed, "wallets": wallets, "load": load,
        "fee_recipient": {"file": fees_file.display().to_string(), "address": recipient},
        "simulated_attestation": true, "network_file": net_path.display().to_string(),
    });
    let manifest = dir.join("devnet.json");
    let pretty = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    std::fs::write(&manifest, format!("{pretty}\n")).map_err(io(&manifest))?;
    // The generated network must pass its own check (no environment overrides here).
    let v = super::config::verdict(&configs, &Overrides::default(), None);
    if v.code() != 0 {
        eprintln!("error: the generated configurations fail their check (a bug):");
        eprintln!("{}", super::config::to_json(&v));
        return Ok(ExitCode::from(1));
    }
    if a.json {
        out!("{summary}");
    } else {
        print_summary(&summary, &configs);
    }
    Ok(ExitCode::SUCCESS)
}

/// The wallets' network file: chain id and configuration digest as node 0's enclave attests
/// them (every node has the same consensus configuration), the origin id, the client URLs.
fn network_file(
    configs: &[PathBuf],
    origin: &mcnode_ledger::BlockId,
    listed: &[Value],
) -> Result<mcnode_client::NetworkFile, String> {
    let first = configs.first().ok_or("no node")?;
    let cfg = mcnode_node::config::load(first, &Overrides::default())
        .map_err(|e| format!("{}: {e}", first.display()))?
        .config;
    let fees: Vec<FeeEntry> = cfg
        .fees
        .minimum_fees()
        .into_iter()
        .map(|(t, f)| FeeEntry { token: mcnode_tx::TokenId(t), minimum_fee: f })
        .collect();
    let policy = mcnode_node::runtime::start::peer_policy(&cfg).map_err(|e| e.to_string())?;
    let digest = config_digest(&cfg.chain_id, &fees, &cfg.fees.recipient.address, &policy);
    Ok(mcnode_client::NetworkFile {
        network: Network::Devnet,
        chain_id: cfg.chain_id.clone(),
        config_digest: digest,
        origin: *origin,
        nodes: listed.iter().filter_map(|n| n["client_url"].as_str().map(str::to_owned)).collect(),
        simulated: true,
    })
}

fn print_summary(s: &Value, configs: &[PathBuf]) {
    out!(
        "devnet created in {} (chain id {}, topology {})",
        s["dir"].as_str().unwrap_or(""),
        s["chain_id"],
        s["topology"]
    );
    out!("WARNING: simulated attestation (allow_simulated = true): for testing only.");
    for n in s["nodes"].as_array().into_iter().flatten() {
        out!(
            "  node-{} {}  peer {}  client {}  admin {}",
            n["index"],
            n["id"].as_str().unwrap_or(""),
            n["peer_url"].as_str().unwrap_or(""),
            n["client_url"].as_str().unwrap_or(""),
            n["admin_url"].as_str().unwrap_or("")
        );
    }
    for w in s["wallets"].as_array().into_iter().flatten() {
        out!("  wallet {}", w["file"].as_str().unwrap_or(""));
    }
    out!("origin block {}", s["origin_block_id"].as_str().unwrap_or(""));
    out!(
        "check it:  mcnode config check {}",
        configs.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(" ")
    );
}
