//! The node processes of `mcnode bench devnet`: started from `devnet init`'s manifest as
//! `mcnode devnet up` starts them (with JSON logs), read through the admin `/info`, measured
//! through `/proc`, stopped with SIGTERM. A process still running when its [`NodeProc`] is
//! dropped (the bench failed half-way) is killed. `mcnode bench network --devnet DIR` may
//! instead attach to nodes already running ([`NodeProc::attach`]): those are measured but
//! never signalled.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One `mcnode run` child.
pub struct NodeProc {
    /// Its name in the manifest.
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// Admin address (`host:port`).
    pub admin: String,
    /// Client API URL.
    pub client: String,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its log (JSON lines).
    pub log: PathBuf,
    child: Option<Child>,
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl NodeProc {
    /// Starts every node of the manifest `v` (`devnet init --json`).
    pub fn start_all(exe: &std::path::Path, v: &Value) -> Result<Vec<NodeProc>, String> {
        let mut out = Vec::new();
        for n in v["nodes"].as_array().ok_or("devnet.json: no nodes")? {
            let (Some(config), Some(dir), Some(admin), Some(client), Some(name)) = (
                n["config"].as_str(),
                n["dir"].as_str(),
                n["admin_url"].as_str(),
                n["client_url"].as_str(),
                n["name"].as_str(),
            ) else {
                return Err("devnet.json: a node lacks config, dir, URLs or name".into());
            };
            let log = PathBuf::from(dir).join("node.log");
            let f = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
            let err = f.try_clone().map_err(|e| e.to_string())?;
            let child = Command::new(exe)
                .args(["run", "--config", config, "--set", "log.format=json"])
                .env("RUST_LOG", "info")
                .stdin(Stdio::null())
                .stdout(f)
                .stderr(err)
                .spawn()
                .map_err(|e| format!("starting {name}: {e}"))?;
            out.push(NodeProc {
                name: name.to_owned(),
                pid: child.id(),
                admin: admin.trim_start_matches("http://").to_owned(),
                client: client.to_owned(),
                config: PathBuf::from(config),
                log,
                child: Some(child),
            });
        }
        Ok(out)
    }

    /// Attaches to the running nodes of manifest `v`, found by their `mcnode run --config`
    /// command lines in `/proc`; `None` unless every node answers `/info` and is found.
    pub fn attach(v: &Value) -> Option<Vec<NodeProc>> {
        let mut out = Vec::new();
        for n in v["nodes"].as_array()? {
            let admin = n["admin_url"].as_str()?.trim_start_matches("http://").to_owned();
            info(&admin)?;
            let config = n["config"].as_str()?;
            let pid = find_run_pid(config)?;
            out.push(NodeProc {
                name: n["name"].as_str()?.to_owned(),
                pid,
                admin,
                client: n["client_url"].as_str()?.to_owned(),
                config: PathBuf::from(config),
                log: PathBuf::from(n["dir"].as_str()?).join("node.log"),
                child: None,
            });
        }
        Some(out)
    }

    /// Whether the process has exited (an attached one: whether `/proc/PID` is gone).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(Some(_))),
            None => !std::path::Path::new(&format!("/proc/{}", self.pid)).exists(),
        }
    }
}

/// `GET /info` of the admin server at `admin` (`None` while it is not up).
pub fn info(admin: &str) -> Option<Value> {
    serde_json::from_str(&get(admin, "/info")?).ok()
}

/// The body of `GET path` from the admin server at `admin` (`None` while it is not up).
pub fn get(admin: &str, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(admin).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf.split_once("\r\n\r\n")?.1.to_owned())
}

/// `(parent pid, utime + stime)` of `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ppid = rest.get(1)?.parse().ok()?;
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((ppid, utime + stime))
}

/// CPU clock ticks used so far by `pid` and its live child processes (a node's enclave).
pub fn cpu_ticks(pid: u32) -> u64 {
    let (own, children) = cpu_ticks_split(pid);
    own + children
}

/// CPU clock ticks used so far by `pid` itself and by its live child processes: `(own,
/// children)`.
pub fn cpu_ticks_split(pid: u32) -> (u64, u64) {
    let own = stat(pid).map_or(0, |s| s.1);
    let children: u64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .filter(|(ppid, _)| *ppid == pid)
        .map(|(_, t)| t)
        .sum();
    (own, children)
}

/// The pid of the `mcnode run` process whose command line names `config`.
fn find_run_pid(config: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
        let runs = args.iter().any(|a| *a == b"run");
        let names = args.contains(&config.as_bytes());
        (runs && names).then_some(pid)
    })
}

/// Peak resident memory (`VmHWM`, KiB) of `pid` and the sum over its live child processes
/// (a node's enclave process): `(own, children)`.
pub fn peak_memory_kib(pid: u32) -> (u64, u64) {
    let hwm = |p: u32| -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{p}/status")).ok()?;
        let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let children: u64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| stat(*p).is_some_and(|s| s.0 == pid))
        .filter_map(hwm)
        .sum();
    (hwm(pid).unwrap_or(0), children)
}

/// `getconf CLK_TCK` (100 if it cannot be asked).
pub fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// SIGTERM to every node started here; waits up to 30 s; kills the rest. True if all exited
/// 0.
pub fn stop_all(nodes: &mut [NodeProc]) -> bool {
    for n in nodes.iter() {
        if n.child.is_some() {
            let _ = Command::new("kill").args(["-TERM", &n.pid.to_string()]).status();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut clean = true;
    for n in nodes.iter_mut() {
        // Attached nodes (not started here) are left running.
        let Some(mut c) = n.child.take() else { continue };
        loop {
            match c.try_wait() {
                Ok(Some(s)) => {
                    clean &= s.success();
                    break;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = c.kill();
                    let _ = c.wait();
                    clean = false;
                    break;
                }
            }
        }
    }
    clean
}
