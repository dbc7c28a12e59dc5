//! `mcnode devnet up DIR`: runs every node of a devnet made by `mcnode devnet init` as a
//! child process (`mcnode run --config DIR/node-I/node.toml`, logs in `DIR/node-I/node.log`)
//! and shows a live one-screen status (height per node, transactions per second, slot phase,
//! peers connected, last block age), refreshed every second from each node's admin `/info`.
//! Ctrl-C (SIGINT) or SIGTERM stops every node with SIGTERM and waits for them.
//!
//! Exit codes: 0 every node stopped cleanly (exit 0); 1 a node failed or had to be killed;
//! 2 bad input (no `DIR/devnet.json`).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Arguments of `devnet up`.
#[derive(clap::Args, Debug)]
pub struct UpArgs {
    /// The devnet directory (made by `mcnode devnet init`).
    pub dir: PathBuf,
}

pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) admin: String,
    child: Option<Child>,
    exited: Option<Option<i32>>,
    last_inputs: Option<(u64, Instant)>,
    rate: f64,
}

pub(crate) fn get_info(admin: &str) -> Option<Value> {
    let mut s = std::net::TcpStream::connect(admin).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(800))).ok()?;
    write!(s, "GET /info HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    serde_json::from_str(buf.split_once("\r\n\r\n")?.1).ok()
}

pub(crate) fn start(dir: &Path) -> Result<Vec<Node>, String> {
    let text = std::fs::read_to_string(dir.join("devnet.json")).map_err(|e| {
        format!("{}: {e} (run `mcnode devnet init` first)", dir.join("devnet.json").display())
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("devnet.json: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut nodes = Vec::new();
    for n in v["nodes"].as_array().ok_or("devnet.json: no nodes")? {
        let (Some(config), Some(ndir), Some(admin), Some(name)) =
            (n["config"].as_str(), n["dir"].as_str(), n["admin_url"].as_str(), n["name"].as_str())
        else {
            return Err("devnet.json: a node lacks config, dir, admin_url or name".into());
        };
        let log_path = Path::new(ndir).join("node.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("{}: {e}", log_path.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(&exe)
            .args(["run", "--config", config])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        nodes.push(Node {
            name: name.to_owned(),
            admin: admin.trim_start_matches("http://").to_owned(),
            child: Some(child),
            exited: None,
            last_inputs: None,
            rate: 0.0,
        });
    }
    Ok(nodes)
}

pub(crate) fn render(nodes: &mut [Node], dir: &Path) -> String {
    let mut out = format!(
        "mcnode devnet: {} ({} nodes; logs in node-*/node.log; Ctrl-C stops all)\n\n",
        dir.display(),
        nodes.len()
    );
    out.push_str(&format!(
        "{:<8} {:>7} {:>7} {:>12} {:>6} {:>7} {:>6} {:>10}  {}\n",
        "node", "height", "tx/s", "phase", "peers", "pool", "slot", "last block", "state"
    ));
    let now_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for n in nodes.iter_mut() {
        if let Some(code) = &n.exited {
            out.push_str(&format!("{:<8} exited ({code:?})\n", n.name));
            continue;
        }
        let Some(i) = get_info(&n.admin) else {
            out.push_str(&format!("{:<8} (starting)\n", n.name));
            continue;
        };
        let inputs = i["key_images_appended"].as_u64().unwrap_or(0);
        let now = Instant::now();
        if let Some((prev, at)) = n.last_inputs {
            let dt = now.duration_since(at).as_secs_f64();
            if dt > 0.0 {
                n.rate = inputs.saturating_sub(prev) as f64 / dt;
            }
        }
        n.last_inputs = Some((inputs, now));
        let peers = i["peers"]
            .as_array()
            .map_or((0, 0), |p| (p.iter().filter(|x| x["state"] == "connected").count(), p.len()));
        let last = i["last_block"]["time"].as_u64().unwrap_or(0);
        let age = if last == 0 {
            "-".to_owned()
        } else {
            format!("{}s ago", now_unix.saturating_sub(last))
        };
        let state = if i["sync"]["status"] == "synced" { "serving" } else { "catching up" };
        out.push_str(&format!(
            "{:<8} {:>7} {:>7.1} {:>12} {:>6} {:>7} {:>6} {:>10}  {}\n",
            n.name,
            i["height"].as_u64().unwrap_or(0),
            n.rate,
            i["slot"]["phase"].as_str().unwrap_or("?"),
            format!("{}/{}", peers.0, peers.1),
            i["pool_size"].as_u64().unwrap_or(0),
            i["slot"]["index"].as_u64().unwrap_or(0),
            age,
            state
        ));
    }
    out
}

pub(crate) fn stop_all(nodes: &mut [Node]) -> bool {
    for n in nodes.iter() {
        if let Some(c) = &n.child {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut clean = true;
    for n in nodes.iter_mut() {
        let Some(mut c) = n.child.take() else {
            clean &= n.exited == Some(Some(0));
            continue;
        };
        loop {
            match c.try_wait() {
                Ok(Some(s)) => {
                    clean &= s.success();
                    eprintln!("{}: exited ({:?})", n.name, s.code());
                    break;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    eprintln!("{}: did not stop within 30 s; killed", n.name);
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

/// Runs `mcnode devnet up`.
pub fn run(args: &UpArgs) -> ExitCode {
    let mut nodes = match start(&args.dir) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("mcnode devnet up: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mcnode devnet up: {e}");
            stop_all(&mut nodes);
            return ExitCode::from(1);
        }
    };
    let tty = std::io::stdout().is_terminal();
    let mut tick = 0u64;
    rt.block_on(async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            for n in nodes.iter_mut() {
                if let Some(c) = n.child.as_mut()
                    && let Ok(Some(s)) = c.try_wait()
                {
                    n.exited = Some(s.code());
                    n.child = None;
                }
            }
            let screen = render(&mut nodes, &args.dir);
            if tty {
                print!("\x1b[2J\x1b[H{screen}");
            } else if tick.is_multiple_of(10) {
                print!("{screen}");
            }
            let _ = std::io::stdout().flush();
            tick += 1;
            let term_fut = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = tokio::signal::ctrl_c() => break,
                () = term_fut => break,
            }
        }
    });
    eprintln!("stopping {} nodes...", nodes.len());
    if stop_all(&mut nodes) { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
