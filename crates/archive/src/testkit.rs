//! Test fixtures (feature `testkit`, for dev-dependencies only): signed test ledgers, a
//! tokio runtime, object rewriting, and a real S3-compatible server (moto's) on a loopback port.
//! Fixtures panic on failure, as tests do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Archive, SignerSet, SyncOptions};
use mcnode_crypto::SigningIdentity;
use mcnode_ledger::testkit::{make_block, synthetic_contents};
use mcnode_ledger::{BlockData, BlockId, Ledger, MemoryLedger};
use mcnode_types::NodeId;

/// The four block signers of the test network; every block after the origin is signed by
/// the first three.
pub fn signers() -> Vec<SigningIdentity> {
    (1..=4u8).map(|i| SigningIdentity::from_seed(&[i; 32])).collect()
}

/// The node id of a signing key.
pub fn node_id(k: &SigningIdentity) -> NodeId {
    NodeId(k.verifying().to_bytes())
}

/// Trust the four signers, 3 of them needed.
pub fn options() -> SyncOptions {
    let ids = signers().iter().map(node_id).collect();
    SyncOptions { signers: SignerSet::new(ids, 3).unwrap(), origin: None }
}

/// Appends blocks to `ledger` until it holds `height` blocks: an unsigned origin block, then
/// blocks of two outputs and one key image signed by three of the four signers.
pub fn grow(ledger: &mut (impl Ledger + ?Sized), height: u64) {
    let keys = signers();
    for n in ledger.num_blocks().unwrap()..height {
        let contents = synthetic_contents(2 * n, 2, n, u64::from(n > 0));
        let by: &[SigningIdentity] = if n == 0 { &[] } else { &keys[..3] };
        let b = make_block(ledger, contents, by, 1_700_000_000 + n).unwrap();
        ledger.append_block(&b).unwrap();
    }
}

/// A memory ledger of `height` blocks.
pub fn ledger(height: u64) -> MemoryLedger {
    let mut l = MemoryLedger::new();
    grow(&mut l, height);
    l
}

/// Every block id of `l`.
pub fn ids(l: &(impl Ledger + ?Sized)) -> Vec<BlockId> {
    let n = l.num_blocks().unwrap();
    (0..n).map(|i| l.block_header(i).unwrap().unwrap().id).collect()
}

/// A current-thread runtime for the async API.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Replaces block `index`'s object with `f` applied to the block.
pub fn rewrite_block(archive: &Archive, index: u64, f: impl FnOnce(&mut BlockData)) {
    use mcnode_types::{Decode, Encode};
    let name = crate::layout::block_object(index);
    rt().block_on(async {
        let bytes = archive.get(&name).await.unwrap().unwrap();
        let mut b = BlockData::from_canonical_bytes(&bytes).unwrap();
        f(&mut b);
        archive.put(&name, b.to_canonical_bytes()).await.unwrap();
    });
}

/// moto's S3 server on a free loopback port, with one bucket; killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts `moto_server` (installed by scripts/install-test-deps.sh) and creates `bucket`.
    pub fn start(bucket: &str) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto_server ({e}): the S3 tests need moto's server; \
                     install it with scripts/install-test-deps.sh"
                )
            });
        let mut moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = moto.child.try_wait().unwrap() {
                panic!("moto_server exited at start ({status}); see scripts/install-test-deps.sh");
            }
            // Creating the bucket is also the readiness probe (moto accepts unsigned requests).
            if let Some(code) = http(port, &format!("PUT /{bucket} HTTP/1.1")) {
                assert_eq!(code, 200, "moto refused to create bucket {bucket}");
                return moto;
            }
            assert!(Instant::now() < deadline, "moto_server did not answer within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Options that point object_store's S3 client at this server.
    pub fn options(&self) -> Vec<(String, String)> {
        [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_allow_http", "true"),
            ("aws_access_key_id", "testing"),
            ("aws_secret_access_key", "testing"),
            ("aws_region", "us-east-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

impl Moto {
    /// The same settings as environment variables, as `mcnode` reads them.
    pub fn env(&self) -> Vec<(String, String)> {
        self.options().into_iter().map(|(k, v)| (k.to_uppercase(), v)).collect()
    }
}

/// Sends one bodiless request; the status code, or `None` if nothing listens yet.
fn http(port: u16, request_line: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let req = format!(
        "{request_line}\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split(' ').nth(1)?.parse().ok()
}
