//! A userspace TCP proxy per directed peer link, adding delay and jitter (this kernel has no
//! netem qdisc to do it).
//!
//! Node `a`'s configuration names, for peer `b`, the address of link `a -> b`'s proxy (on the
//! gateway); the proxy forwards every connection to `b`'s peer port. Bytes read in either
//! direction are held until `now + delay + jitter` (jitter drawn uniformly from
//! `0..=jitter_ms` by the link's seeded generator) and never reordered: a chunk's release time
//! is at least the previous chunk's, as TCP's ordering requires. Delay and jitter change at
//! run time ([`Link::set`]) and apply to bytes read from then on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcnode_sim::rng::SimRng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Delay and jitter of a link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkParams {
    /// Added to every chunk, milliseconds.
    pub delay_ms: u64,
    /// Up to this much more, drawn per chunk, milliseconds.
    pub jitter_ms: u64,
}

struct Shaper {
    params: LinkParams,
    rng: SimRng,
}

impl Shaper {
    fn hold(&mut self) -> Duration {
        let j = if self.params.jitter_ms == 0 {
            0
        } else {
            self.rng.next_u64() % (self.params.jitter_ms + 1)
        };
        Duration::from_millis(self.params.delay_ms + j)
    }
}

/// One directed link's proxy.
#[derive(Clone)]
pub struct Link {
    /// Where it listens (the gateway and its own port).
    pub listen: SocketAddr,
    /// Where it forwards to (the peer's peer API).
    pub target: SocketAddr,
    shaper: Arc<Mutex<Shaper>>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Link({} -> {})", self.listen, self.target)
    }
}

impl Link {
    /// Binds a proxy on `listen` (port 0: any free port) forwarding to `target`, running on
    /// the runtime of `rt`. `seed` seeds its jitter.
    pub fn start(
        rt: &tokio::runtime::Handle,
        listen: SocketAddr,
        target: SocketAddr,
        seed: u64,
    ) -> std::io::Result<Link> {
        let std_listener = std::net::TcpListener::bind(listen)?;
        std_listener.set_nonblocking(true)?;
        let listen = std_listener.local_addr()?;
        let shaper =
            Arc::new(Mutex::new(Shaper { params: LinkParams::default(), rng: SimRng::new(seed) }));
        let link = Link { listen, target, shaper };
        let l = link.clone();
        rt.spawn(async move {
            let Ok(listener) = TcpListener::from_std(std_listener) else { return };
            while let Ok((inbound, _)) = listener.accept().await {
                let l = l.clone();
                tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(l.target).await {
                        l.pipe(inbound, outbound).await;
                    }
                });
            }
        });
        Ok(link)
    }

    /// Sets delay and jitter for bytes read from now on.
    pub fn set(&self, params: LinkParams) {
        if let Ok(mut s) = self.shaper.lock() {
            s.params = params;
        }
    }

    /// The current delay and jitter.
    pub fn params(&self) -> LinkParams {
        self.shaper.lock().map(|s| s.params).unwrap_or_default()
    }

    async fn pipe(&self, a: TcpStream, b: TcpStream) {
        let _ = a.set_nodelay(true);
        let _ = b.set_nodelay(true);
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        let up = self.direction(ar, bw);
        let down = self.direction(br, aw);
        // When either direction ends, the other is dropped with it: both sockets close.
        tokio::select! {
            _ = up => {}
            _ = down => {}
        }
    }

    async fn direction(
        &self,
        mut r: tokio::net::tcp::OwnedReadHalf,
        mut w: tokio::net::tcp::OwnedWriteHalf,
    ) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
        let shaper = self.shaper.clone();
        let reader = async move {
            let mut last = Instant::now();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = match r.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let hold = shaper.lock().map(|mut s| s.hold()).unwrap_or_default();
                last = last.max(Instant::now() + hold);
                if tx.send((last, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        };
        let writer = async move {
            while let Some((at, bytes)) = rx.recv().await {
                tokio::time::sleep_until(at).await;
                if w.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            let _ = w.shutdown().await;
        };
        // The writer drains what the reader queued before it ended.
        let (_, ()) = tokio::join!(reader, writer);
    }
}
