//! A devnet of real `mcnode run` processes, one per host ([`crate::hosts`]), every peer link
//! through its own proxy ([`crate::proxy`]), faults applied with [`crate::nft`].
//!
//! `mcnode devnet init --json` makes keys, configurations and the origin on loopback; each
//! `node.toml` is then rewritten: the node listens on its host's address (peer API on
//! [`PEER_PORT`], client on [`CLIENT_PORT`], admin on [`ADMIN_PORT`]), and its entry for peer
//! `b` names the proxy of link `self -> b`. Nodes start with `ip netns exec NS mcnode run`
//! (`ip` execs `mcnode` in place, so the child's pid is the node's and SIGKILL reaches it).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::hosts::{HostError, Hosts};
use crate::nft::{self, Rule};
use crate::proxy::{Link, LinkParams};

/// Peer API port on every host.
pub const PEER_PORT: u16 = 7000;
/// Client API port on every host.
pub const CLIENT_PORT: u16 = 7001;
/// Admin HTTP port on every host.
pub const ADMIN_PORT: u16 = 7002;

/// What can go wrong setting up or driving the network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Hosts or nftables.
    #[error(transparent)]
    Host(#[from] HostError),
    /// File or process I/O.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// `mcnode devnet init` failed or printed something unexpected.
    #[error("mcnode devnet init: {0}")]
    Init(String),
    /// A configuration file could not be rewritten.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> NetError {
    let what = what.into();
    move |source| NetError::Io { what, source }
}

/// One node.
#[derive(Debug)]
pub struct Node {
    /// Its node id (strkey).
    pub id: String,
    /// Its host's address.
    pub ip: Ipv4Addr,
    /// Its namespace.
    pub ns: String,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its directory (ledger, keys, `run.log`).
    pub dir: PathBuf,
    /// Its log (stdout and stderr of every start, appended).
    pub log: PathBuf,
    child: Option<Child>,
    /// Times the test killed it (SIGKILL).
    pub kills: u32,
}

impl Node {
    /// `IP:ADMIN_PORT`.
    pub fn admin(&self) -> SocketAddr {
        SocketAddr::from((self.ip, ADMIN_PORT))
    }

    /// The client API's URL.
    pub fn client_url(&self) -> String {
        format!("http://{}:{CLIENT_PORT}", self.ip)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The network. Fields drop in order: processes first, then the proxies' runtime, then hosts.
pub struct Net {
    /// The nodes, node `i` at index `i`.
    pub nodes: Vec<Node>,
    /// The runtime of the proxies (and of the test's client calls).
    pub rt: tokio::runtime::Runtime,
    /// Link `(a, b)`: node `a`'s connection to node `b`.
    pub links: Vec<((usize, usize), Link)>,
    /// The devnet directory.
    pub dir: PathBuf,
    /// The `mcnode` binary.
    pub mcnode: PathBuf,
    rules: Vec<Vec<Rule>>,
    hosts: Hosts,
}

impl Net {
    /// Makes a devnet of `n` nodes and `wallets` funded wallets in `dir` (missing or empty),
    /// its hosts and its link proxies (jitter seeded from `seed`). Starts no node.
    pub fn create(
        mcnode: &Path,
        dir: &Path,
        n: usize,
        wallets: usize,
        seed: u64,
    ) -> Result<Net, NetError> {
        let out = Command::new(mcnode)
            .args(["devnet", "init"])
            .arg(dir)
            .args(["--nodes", &n.to_string(), "--wallets", &wallets.to_string()])
            .args(["--block-interval-ms", "1000", "--json"])
            .output()
            .map_err(io(format!("running {}", mcnode.display())))?;
        if !out.status.success() {
            return Err(NetError::Init(String::from_utf8_lossy(&out.stderr).into_owned()));
        }
        let doc: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| NetError::Init(format!("not JSON: {e}")))?;
        let listed = doc["nodes"].as_array().cloned().unwrap_or_default();
        if listed.len() != n {
            return Err(NetError::Init(format!("{} nodes listed, {n} asked", listed.len())));
        }
        let hosts = Hosts::create(n)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(io("tokio runtime"))?;
        let mut nodes = Vec::new();
        for (i, v) in listed.iter().enumerate() {
            let field = |k: &str| {
                v[k].as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| NetError::Init(format!("node {i} has no {k}")))
            };
            let dir = PathBuf::from(field("dir")?);
            nodes.push(Node {
                id: field("id")?,
                ip: hosts.hosts[i].ip,
                ns: hosts.hosts[i].ns.clone(),
                config: PathBuf::from(field("config")?),
                log: dir.join("run.log"),
                dir,
                child: None,
                kills: 0,
            });
        }
        let mut links = Vec::new();
        for a in 0..n {
            for b in (0..n).filter(|&b| b != a) {
                let target = SocketAddr::from((nodes[b].ip, PEER_PORT));
                let listen = SocketAddr::from((hosts.gateway(), 0));
                let link_seed = seed ^ ((a as u64) << 32 | b as u64);
                let link = Link::start(rt.handle(), listen, target, link_seed)
                    .map_err(io(format!("link proxy {a} -> {b}")))?;
                links.push(((a, b), link));
            }
        }
        let net = Net {
            nodes,
            rt,
            links,
            dir: dir.to_owned(),
            mcnode: mcnode.to_owned(),
            rules: vec![Vec::new(); n],
            hosts,
        };
        for i in 0..n {
            net.rewrite_config(i)?;
        }
        Ok(net)
    }

    /// Points node `i`'s listeners at its host and its peers at its links' proxies.
    fn rewrite_config(&self, i: usize) -> Result<(), NetError> {
        let path = &self.nodes[i].config;
        let bad = |message: String| NetError::Config { path: path.clone(), message };
        let text = std::fs::read_to_string(path).map_err(io(path.display().to_string()))?;
        let mut t: toml::Table = text.parse().map_err(|e: toml::de::Error| bad(e.to_string()))?;
        let ip = self.nodes[i].ip;
        for (k, port) in [
            ("peer_listen", PEER_PORT),
            ("client_listen", CLIENT_PORT),
            ("admin_listen", ADMIN_PORT),
        ] {
            t.insert(k.into(), toml::Value::String(format!("{ip}:{port}")));
        }
        let peers = t
            .get_mut("peers")
            .and_then(toml::Value::as_array_mut)
            .ok_or_else(|| bad("no [[peers]]".into()))?;
        for p in peers.iter_mut() {
            let id = p.get("id").and_then(toml::Value::as_str).unwrap_or_default().to_owned();
            let b = self
                .nodes
                .iter()
                .position(|n| n.id == id)
                .ok_or_else(|| bad(format!("peer {id} is no node of the devnet")))?;
            let link = self.link(i, b).ok_or_else(|| bad(format!("no link {i} -> {b}")))?;
            if let Some(tab) = p.as_table_mut() {
                tab.insert("address".into(), toml::Value::String(link.listen.to_string()));
            }
        }
        std::fs::write(path, t.to_string()).map_err(io(path.display().to_string()))
    }

    /// Appends `text` (a TOML section) to node `i`'s configuration.
    pub fn append_config(&self, i: usize, text: &str) -> Result<(), NetError> {
        let path = &self.nodes[i].config;
        let mut t = std::fs::read_to_string(path).map_err(io(path.display().to_string()))?;
        t.push('\n');
        t.push_str(text);
        std::fs::write(path, t).map_err(io(path.display().to_string()))
    }

    /// Link `a -> b`.
    pub fn link(&self, a: usize, b: usize) -> Option<&Link> {
        self.links.iter().find(|(k, _)| *k == (a, b)).map(|(_, l)| l)
    }

    /// Starts node `i` with `--set` overrides `sets`. An earlier process is killed first.
    pub fn start(&mut self, i: usize, sets: &[String]) -> Result<(), NetError> {
        let mut cmd = self.hosts.command(i, &self.mcnode);
        let node = &mut self.nodes[i];
        if let Some(mut c) = node.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .map_err(io(node.log.display().to_string()))?;
        let err = log.try_clone().map_err(io("log"))?;
        cmd.arg("run").arg("--config").arg(&node.config);
        for s in sets {
            cmd.args(["--set", s]);
        }
        let child = cmd
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(io(format!("starting node {i}")))?;
        node.child = Some(child);
        Ok(())
    }

    /// SIGKILL node `i` (counted).
    pub fn kill(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if let Some(mut c) = node.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            node.kills += 1;
        }
    }

    /// SIGTERM node `i` and wait up to `limit`: its exit status (`None`: it had to be killed,
    /// or was not running).
    pub fn terminate(&mut self, i: usize, limit: Duration) -> Option<ExitStatus> {
        let mut c = self.nodes[i].child.take()?;
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Ok(Some(s)) = c.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        None
    }

    /// Whether node `i` has a process, and its exit status if that process ended on its own.
    pub fn exited(&mut self, i: usize) -> Option<ExitStatus> {
        self.nodes[i].child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// Whether node `i` was started and not killed or stopped since.
    pub fn is_started(&self, i: usize) -> bool {
        self.nodes[i].child.is_some()
    }

    /// Replaces node `i`'s packet rules.
    pub fn set_rules(&mut self, i: usize, rules: Vec<Rule>) -> Result<(), NetError> {
        nft::apply(&self.nodes[i].ns, &rules)?;
        self.rules[i] = rules;
        Ok(())
    }

    /// Adds a rule to node `i`.
    pub fn add_rule(&mut self, i: usize, rule: Rule) -> Result<(), NetError> {
        let mut r = self.rules[i].clone();
        r.push(rule);
        self.set_rules(i, r)
    }

    /// Cuts link `a -> b`: `a`'s messages no longer reach `b` (`b`'s still reach `a`).
    pub fn cut(&mut self, a: usize, b: usize) -> Result<(), NetError> {
        let port = self.link(a, b).map_or(0, |l| l.listen.port());
        let addr = self.hosts.gateway();
        self.add_rule(a, Rule::Cut { addr, port })
    }

    /// Sets delay and jitter on every link.
    pub fn shape_all(&self, p: LinkParams) {
        for (_, l) in &self.links {
            l.set(p);
        }
    }

    /// Ends every packet fault and every delay.
    pub fn heal(&mut self) -> Result<(), NetError> {
        for i in 0..self.nodes.len() {
            if !self.rules[i].is_empty() {
                self.set_rules(i, Vec::new())?;
            }
        }
        self.shape_all(LinkParams::default());
        Ok(())
    }

    /// The gateway address (where the test process sits on the bridge).
    pub fn gateway(&self) -> Ipv4Addr {
        self.hosts.gateway()
    }
}
