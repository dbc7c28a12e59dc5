//! Packet faults inside a host's namespace with nftables: links cut (one way or both) and
//! random loss.
//!
//! Each namespace gets one table, `inet mcfault`, replaced atomically (`nft -f`) whenever its
//! rules change. Every rule names TCP ports, so only peer traffic is hit: the admin and client
//! APIs, which the test itself uses, stay reachable.
//!
//! A directed link `a -> b` is node `a`'s outgoing connection to `b`, which goes through a link
//! proxy listening on the gateway at its own port (`crate::proxy`): `a` sends its messages to
//! `b` over it and reads `b`'s answers to them from it. Dropping that port's packets in `a`'s
//! namespace cuts exactly `a -> b`, while `b`'s own connection to `a` (another port) still
//! works: an asymmetric cut. Loss uses nftables' `numgen random mod 100 < P` (after accepting the kept ports); TCP then
//! retransmits, so loss shows as delay, stalls and reset connections, as on a real network.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use crate::hosts::HostError;

/// One rule of a namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Drop everything to and from `addr:port` (a link proxy's port: cuts that link).
    Cut {
        /// The gateway.
        addr: Ipv4Addr,
        /// The link's proxy port.
        port: u16,
    },
    /// Drop `percent` % of peer traffic: every TCP packet except those of `keep` ports (the
    /// admin and client APIs).
    Loss {
        /// Percentage dropped, 1 to 100.
        percent: u8,
        /// Ports never dropped.
        keep: Vec<u16>,
    },
}

/// The nft script that replaces the namespace's table with `rules`.
pub fn script(rules: &[Rule]) -> String {
    let mut input = String::new();
    let mut output = String::new();
    for r in rules {
        match r {
            Rule::Cut { addr, port } => {
                output.push_str(&format!("    ip daddr {addr} tcp dport {port} drop\n"));
                input.push_str(&format!("    ip saddr {addr} tcp sport {port} drop\n"));
            }
            Rule::Loss { percent, keep } => {
                let keep: Vec<String> = keep.iter().map(u16::to_string).collect();
                let keep = keep.join(", ");
                // Kept ports are accepted by rules of their own: nft merges
                // `tcp sport != {K} tcp dport != {K}` into one compare of both ports, which
                // then drops packets to K as well (seen with nft on this kernel).
                // And nft refuses `numgen random mod 100 < 100` (the value must be below the
                // modulus): total loss drops without drawing.
                let draw = if *percent >= 100 {
                    String::new()
                } else {
                    format!("numgen random mod 100 < {percent} ")
                };
                let mut rule = String::new();
                if !keep.is_empty() {
                    rule.push_str(&format!(
                        "    tcp sport {{ {keep} }} accept\n    tcp dport {{ {keep} }} accept\n"
                    ));
                }
                rule.push_str(&format!("    meta l4proto tcp {draw}drop\n"));
                input.push_str(&rule);
                output.push_str(&rule);
            }
        }
    }
    format!(
        "table inet mcfault {{}}\ndelete table inet mcfault\ntable inet mcfault {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n{input}  }}\n  chain output {{\n    type filter hook output priority 0; policy accept;\n{output}  }}\n}}\n"
    )
}

/// Replaces namespace `ns`'s fault rules with `rules` (none: every packet passes).
pub fn apply(ns: &str, rules: &[Rule]) -> Result<(), HostError> {
    let text = script(rules);
    let cmd = format!("ip netns exec {ns} nft -f -");
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| HostError::Spawn { cmd: cmd.clone(), source })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|source| HostError::Spawn { cmd: cmd.clone(), source })?;
    }
    let out =
        child.wait_with_output().map_err(|source| HostError::Spawn { cmd: cmd.clone(), source })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(HostError::Command {
            cmd,
            status: out.status.to_string(),
            stderr: format!("{}\nscript:\n{text}", String::from_utf8_lossy(&out.stderr).trim()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_drops_both_directions_of_one_port_only() {
        let s = script(&[Rule::Cut { addr: Ipv4Addr::new(10, 1, 2, 1), port: 4000 }]);
        assert!(s.contains("ip daddr 10.1.2.1 tcp dport 4000 drop"), "{s}");
        assert!(s.contains("ip saddr 10.1.2.1 tcp sport 4000 drop"), "{s}");
    }

    #[test]
    fn loss_spares_the_kept_ports() {
        let s = script(&[Rule::Loss { percent: 20, keep: vec![7001, 7002] }]);
        assert!(s.contains("tcp sport { 7001, 7002 } accept"), "{s}");
        assert!(s.contains("tcp dport { 7001, 7002 } accept"), "{s}");
        assert!(s.contains("numgen random mod 100 < 20 drop"), "{s}");
    }
}
