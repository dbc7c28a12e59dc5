//! The harness's own parts on real namespaces, without mcnode: hosts reach each other through
//! link proxies; a cut drops exactly its link; loss spares the kept ports; the proxy delays
//! by what it is told; hosts are removed on drop, and stale ones of dead runs by
//! `clean_stale`. Needs root and `nft` (scripts/install-test-deps.sh): without them these
//! tests FAIL with the reason.
//!
//! A small Python echo server and client run inside the namespaces (python3 is already a test
//! dependency: the install script uses pip).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::time::Duration;

use mcnode_faults::hosts::{Hosts, clean_stale, run};
use mcnode_faults::nft::{self, Rule};
use mcnode_faults::proxy::{Link, LinkParams};

fn hosts(n: usize) -> Hosts {
    Hosts::create(n).unwrap_or_else(|e| panic!("cannot make test hosts: {e}"))
}

const ECHO: &str = "import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind((sys.argv[1],9000))\ns.listen()\nwhile True:\n  c,_=s.accept()\n  d=c.recv(100)\n  c.sendall(d)\n  c.close()\n";

const CLIENT: &str = "import socket,sys,time\nt=time.time()\ntry:\n  c=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=2)\n  c.sendall(b'ping')\n  d=c.recv(100)\n  print(int((time.time()-t)*1000) if d==b'ping' else -1)\nexcept Exception:\n  print(-1)\n";

struct Echo(Child);
impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn echo(h: &Hosts, i: usize) -> Echo {
    let ip = h.hosts[i].ip.to_string();
    let c = Command::new("ip")
        .args(["netns", "exec", &h.hosts[i].ns, "python3", "-c", ECHO, &ip])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    Echo(c)
}

/// Milliseconds for an echo through `to` from inside host `i` (`None`: no answer).
fn ping(h: &Hosts, i: usize, to: SocketAddr) -> Option<i64> {
    let out = Command::new("ip")
        .args(["netns", "exec", &h.hosts[i].ns, "python3", "-c", CLIENT])
        .args([to.ip().to_string(), to.port().to_string()])
        .output()
        .unwrap();
    let ms: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    (ms >= 0).then_some(ms)
}

fn proxies(h: &Hosts, rt: &tokio::runtime::Runtime, k: usize) -> Vec<Link> {
    let target = SocketAddr::from((h.hosts[0].ip, 9000));
    (0..k)
        .map(|s| {
            Link::start(rt.handle(), SocketAddr::from((h.gateway(), 0)), target, s as u64).unwrap()
        })
        .collect()
}

#[test]
fn a_cut_drops_its_link_only_and_ends_when_cleared() {
    let h = hosts(2);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _e = echo(&h, 0);
    let l = proxies(&h, &rt, 2);
    assert!(ping(&h, 1, l[0].listen).is_some(), "host 1 reaches host 0 through link 0");
    assert!(ping(&h, 1, l[1].listen).is_some(), "and through link 1");
    nft::apply(&h.hosts[1].ns, &[Rule::Cut { addr: h.gateway(), port: l[0].listen.port() }])
        .unwrap();
    assert_eq!(ping(&h, 1, l[0].listen), None, "the cut link still passes");
    assert!(ping(&h, 1, l[1].listen).is_some(), "the cut hit another link");
    nft::apply(&h.hosts[1].ns, &[]).unwrap();
    assert!(ping(&h, 1, l[0].listen).is_some(), "the link stays cut after clearing");
}

#[test]
fn total_loss_drops_everything_but_the_kept_ports() {
    let h = hosts(2);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _e = echo(&h, 0);
    let l = proxies(&h, &rt, 2);
    let keep = vec![l[1].listen.port()];
    nft::apply(&h.hosts[1].ns, &[Rule::Loss { percent: 100, keep }]).unwrap();
    assert_eq!(ping(&h, 1, l[0].listen), None, "100 % loss let a connection through");
    assert!(ping(&h, 1, l[1].listen).is_some(), "a kept port was dropped");
}

#[test]
fn the_proxy_delays_each_direction_by_what_it_is_told() {
    let h = hosts(2);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _e = echo(&h, 0);
    let l = proxies(&h, &rt, 1);
    let fast = ping(&h, 1, l[0].listen).unwrap();
    l[0].set(LinkParams { delay_ms: 300, jitter_ms: 0 });
    let slow = ping(&h, 1, l[0].listen).unwrap();
    // The request and the answer are each held 300 ms.
    assert!(slow >= 600, "round trip {slow} ms with 300 ms each way (undelayed {fast} ms)");
    assert!(fast < 300, "undelayed round trip took {fast} ms");
}

#[test]
fn hosts_are_removed_on_drop_and_stale_ones_of_dead_runs_on_the_next_start() {
    let names = |h: &Hosts| h.hosts.iter().map(|x| x.ns.clone()).collect::<Vec<_>>();
    let listed =
        || String::from_utf8_lossy(&run("ip", &["netns", "list"]).unwrap().stdout).into_owned();
    let h = hosts(2);
    let ns = names(&h);
    assert!(ns.iter().all(|n| listed().contains(n.as_str())));
    drop(h);
    let now = listed();
    assert!(ns.iter().all(|n| !now.contains(n.as_str())), "left behind: {now}");

    // A run of a process that does not exist (pid 0x3ffffe, checked absent: far above the
    // usual pid_max), killed before it could clean up.
    assert!(!std::path::Path::new(&format!("/proc/{}", 0x3ffffe)).exists());
    run("ip", &["netns", "add", "mf3ffffeg0n0"]).unwrap();
    run("ip", &["link", "add", "mf3ffffeg0b", "type", "bridge"]).unwrap();
    assert!(clean_stale() >= 2);
    assert!(!listed().contains("mf3ffffeg0n0"));
    let links =
        String::from_utf8_lossy(&run("ip", &["-o", "link", "show"]).unwrap().stdout).into_owned();
    assert!(!links.contains("mf3ffffeg0b"), "{links}");
}
