//! Hosts with addresses of their own: one Linux network namespace per node, joined to a bridge
//! in the root namespace by a veth pair.
//!
//! Layout of one run (`P` is the run's prefix, `mf<pid hex>g<run hex>`):
//! - bridge `Pb` in the root namespace, address `10.A.B.1/24` (the gateway: the test process
//!   reaches every node through it, and the link proxies listen on it);
//! - per node `i`: namespace `Pn<i>`, veth `Ph<i>` on the bridge, its peer `eth0` inside the
//!   namespace with `10.A.B.<i+2>/24`, `lo` up, default route via the gateway.
//!
//! `10.A.B` is chosen per run among subnets no interface of the machine uses yet. Everything is
//! removed on drop; [`clean_stale`] removes what a run killed before its drop left behind (the
//! pid in the prefix tells whether the run that made it is still alive).

use std::net::Ipv4Addr;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs made by this process so far (part of the prefix, so parallel tests never collide).
static RUNS: AtomicU32 = AtomicU32::new(0);

/// What can go wrong making or using hosts.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A command could not be started at all.
    #[error(
        "cannot run `{cmd}`: {source} (the fault tests need iproute2 and nftables: run scripts/install-test-deps.sh as root)"
    )]
    Spawn {
        /// The command line.
        cmd: String,
        /// Why.
        source: std::io::Error,
    },
    /// A command failed.
    #[error("`{cmd}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        cmd: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// Network namespaces cannot be made here (no root, or a kernel without them).
    #[error(
        "network namespaces are not available here ({0}); the fault tests need root and a kernel with netns, veth and bridge support"
    )]
    NoNetns(Box<HostError>),
    /// Every candidate subnet is in use.
    #[error("no free 10.x.y.0/24 subnet found for the run")]
    NoSubnet,
}

/// Runs `prog args`, returning its output when it exits 0.
pub fn run(prog: &str, args: &[&str]) -> Result<Output, HostError> {
    let cmd = format!("{prog} {}", args.join(" "));
    let out = Command::new(prog)
        .args(args)
        .output()
        .map_err(|source| HostError::Spawn { cmd: cmd.clone(), source })?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(HostError::Command {
            cmd,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// One host: a namespace and its address.
#[derive(Clone, Debug)]
pub struct Host {
    /// The namespace's name (`ip netns exec NAME ...`).
    pub ns: String,
    /// Its address on the bridge.
    pub ip: Ipv4Addr,
}

/// The hosts of one run; removed on drop.
#[derive(Debug)]
pub struct Hosts {
    prefix: String,
    bridge: String,
    gateway: Ipv4Addr,
    /// The hosts, node `i` at index `i`.
    pub hosts: Vec<Host>,
}

/// The prefix of a run of process `pid`.
fn prefix(pid: u32, run: u32) -> String {
    format!("mf{pid:x}g{run:x}")
}

/// The pid a name made by [`prefix`] carries (`None` for names that are not ours).
pub fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("mf")?;
    let (pid, _) = rest.split_once('g')?;
    u32::from_str_radix(pid, 16).ok()
}

/// First three octets of a subnet no interface uses, derived from `pid` and `run`.
fn free_subnet(pid: u32, run: u32) -> Result<[u8; 3], HostError> {
    let used = String::from_utf8_lossy(&run_ip(&["-o", "-4", "addr", "show"])?.stdout).into_owned();
    let mut x = pid.wrapping_mul(2_654_435_761).wrapping_add(run.wrapping_mul(40_503));
    for _ in 0..400 {
        let a = 100 + (x % 100) as u8;
        let b = ((x >> 8) % 256) as u8;
        if !used.contains(&format!(" 10.{a}.{b}.")) {
            return Ok([10, a, b]);
        }
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
    }
    Err(HostError::NoSubnet)
}

fn run_ip(args: &[&str]) -> Result<Output, HostError> {
    run("ip", args)
}

impl Hosts {
    /// Makes `n` hosts. Removes stale hosts of dead earlier runs first.
    pub fn create(n: usize) -> Result<Hosts, HostError> {
        clean_stale();
        let pid = std::process::id();
        let r = RUNS.fetch_add(1, Ordering::SeqCst);
        let prefix = prefix(pid, r);
        let net = free_subnet(pid, r)?;
        let gateway = Ipv4Addr::new(net[0], net[1], net[2], 1);
        let bridge = format!("{prefix}b");
        let mut hosts =
            Hosts { prefix: prefix.clone(), bridge: bridge.clone(), gateway, hosts: vec![] };
        run_ip(&["link", "add", &bridge, "type", "bridge"])
            .map_err(|e| HostError::NoNetns(Box::new(e)))?;
        run_ip(&["addr", "add", &format!("{gateway}/24"), "dev", &bridge])?;
        run_ip(&["link", "set", &bridge, "up"])?;
        for i in 0..n {
            let ns = format!("{prefix}n{i}");
            let veth = format!("{prefix}h{i}");
            let ip = Ipv4Addr::new(net[0], net[1], net[2], 2 + i as u8);
            run_ip(&["netns", "add", &ns]).map_err(|e| HostError::NoNetns(Box::new(e)))?;
            hosts.hosts.push(Host { ns: ns.clone(), ip });
            run_ip(&["link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns])?;
            run_ip(&["link", "set", &veth, "master", &bridge, "up"])?;
            let inside = |args: &[&str]| {
                let mut a = vec!["netns", "exec", &ns, "ip"];
                a.extend_from_slice(args);
                run_ip(&a)
            };
            inside(&["addr", "add", &format!("{ip}/24"), "dev", "eth0"])?;
            inside(&["link", "set", "eth0", "up"])?;
            inside(&["link", "set", "lo", "up"])?;
            inside(&["route", "add", "default", "via", &gateway.to_string()])?;
        }
        Ok(hosts)
    }

    /// The bridge's address in the root namespace.
    pub fn gateway(&self) -> Ipv4Addr {
        self.gateway
    }

    /// The run's prefix (names of its namespaces and links start with it).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A command run inside host `i`'s namespace.
    pub fn command(&self, i: usize, program: &std::path::Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.hosts[i].ns]).arg(program);
        // The suite's own settings (`MCNODE_FAULT_SEED`, ...) share the node's `MCNODE_`
        // prefix, and `mcnode run` refuses a variable that names no configuration field.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("MCNODE_FAULT_") {
                c.env_remove(k);
            }
        }
        c
    }
}

/// Kills every process left in namespace `ns` (only processes of our own runs live there).
fn kill_inside(ns: &str) {
    if let Ok(out) = run_ip(&["netns", "pids", ns]) {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = run("kill", &["-KILL", pid]);
        }
    }
}

fn remove(prefix_filter: impl Fn(&str) -> bool) -> usize {
    let mut removed = 0;
    if let Ok(out) = run_ip(&["netns", "list"]) {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(name) = line.split_whitespace().next() else { continue };
            if prefix_filter(name) {
                kill_inside(name);
                if run_ip(&["netns", "del", name]).is_ok() {
                    removed += 1;
                }
            }
        }
    }
    if let Ok(out) = run_ip(&["-o", "link", "show"]) {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // "7: mf1a2g0h1@if2: <...>"
            let Some(name) = line.split(": ").nth(1) else { continue };
            let name = name.split('@').next().unwrap_or(name);
            if prefix_filter(name) && run_ip(&["link", "del", name]).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// Removes namespaces and links of earlier runs whose process is gone (a run killed before
/// its drop). Returns how many were removed.
pub fn clean_stale() -> usize {
    remove(|name| {
        owner_pid(name).is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
    })
}

impl Drop for Hosts {
    fn drop(&mut self) {
        let mut ours: Vec<String> = self.hosts.iter().map(|h| h.ns.clone()).collect();
        ours.extend((0..self.hosts.len()).map(|i| format!("{}h{i}", self.prefix)));
        ours.push(self.bridge.clone());
        remove(|name| ours.iter().any(|o| o == name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_carry_the_pid_and_fit_interface_names() {
        let p = prefix(4_194_304, 300);
        assert_eq!(owner_pid(&format!("{p}h12")), Some(4_194_304));
        assert!(format!("{p}h12").len() <= 15, "interface names have 15 bytes at most");
        assert_eq!(owner_pid("eth0"), None);
        assert_eq!(owner_pid("mfzzg1"), None);
    }
}
