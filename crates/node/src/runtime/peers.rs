//! Outgoing peer connections: per configured peer one task that connects (tonic, with
//! reconnect and exponential backoff), runs the attested handshake through this node's enclave
//! (`PeerInit` -> `PeerAuth` -> `PeerConnect` -> `PeerAuthFinish`: MobileCoin's peer
//! handshake over the peer API), tells the engine (`PeerConnected`), and then sends the
//! peer's outgoing queue: signed SCP messages as they are, transactions re-encrypted by the
//! enclave for this peer's session (`TxsForPeer`, once per peer).
//!
//! A connection that fails (send error, handshake refused) is closed, reported
//! (`PeerDisconnected`) and retried after the backoff. Messages queued while a peer is down
//! are dropped: on (re)connect the engine sends the peer its latest statements, and
//! re-broadcasts while a slot is stuck, which is what makes a lost message harmless.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mcnode_api::pb::common::v1::EncryptedPayload;
use mcnode_api::pb::peer::v1::SendConsensusMsgRequest;
use mcnode_api::pb::peer::v1::peer_api_client::PeerApiClient;
use mcnode_api::pb::peer::v1::{PeerAuthFinishRequest, PeerAuthRequest, PeerTxProposeRequest};
use mcnode_enclave::channel::{ChannelMessage, SessionId};
use mcnode_enclave::host_types::WellFormedEncryptedTx;
use mcnode_types::NodeId;
use tokio::sync::{mpsc, watch};
use tonic::transport::{Channel, Endpoint};

use crate::engine::{Input, Wire};

use super::actor::{EngineHandle, until_stopped};
use super::backoff::Backoff;
use super::clock::Clock;
use super::enclave_worker::EnclaveWorker;

/// gRPC metadata key naming the calling node (hex of its node id). It only routes (relay
/// exclusion, where to fetch bodies): every SCP message is signed, and transactions travel on
/// attested sessions. Nothing a peer announces is trusted for its enclave's block-signing key:
/// that comes from the peer's verified evidence, which must name the node id dialled
/// (`PeerConnect` refuses with `PeerIdMismatch` otherwise).
pub const FROM_HEADER: &str = "mcnode-from";
/// Messages queued per peer before newer ones are dropped.
const QUEUE: usize = 1024;
/// Relays in flight to one peer at a time. Each relay goes on a task of its own so that the
/// statements queued behind it are not held up by it (re-encryption in the enclave, the round
/// trip); past this many the link waits.
const RELAYS_IN_FLIGHT: usize = 32;

/// Something to send to one peer.
#[derive(Clone, Debug)]
pub enum Outgoing {
    /// A signed SCP envelope.
    Msg(Wire),
    /// A transaction to relay (encrypted for the peer's session before sending).
    Relay(WellFormedEncryptedTx),
}

/// An established, attested connection.
#[derive(Clone, Debug)]
pub struct PeerLink {
    /// The gRPC client.
    pub client: PeerApiClient<Channel>,
    /// The attested session (this node initiated it).
    pub session: SessionId,
    /// The peer enclave's block-signing key, from its verified evidence (returned by the
    /// enclave's `PeerConnect`).
    pub signer: NodeId,
}

#[derive(Debug)]
struct Entry {
    queue: mpsc::Sender<Outgoing>,
    link: watch::Receiver<Option<PeerLink>>,
}

/// The configured peers' connections; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Peers {
    entries: Arc<BTreeMap<NodeId, Entry>>,
    /// Handshakes that failed (refused by either enclave or transport errors during one).
    pub handshakes_failed: Arc<AtomicU64>,
}

/// What a peer task needs.
#[derive(Clone, Debug)]
pub struct PeerContext {
    /// This node's id.
    pub own_id: NodeId,
    /// The enclave.
    pub enclave: EnclaveWorker,
    /// The engine.
    pub engine: EngineHandle,
    /// Turns true at shutdown.
    pub shutdown: watch::Receiver<bool>,
    /// Counts refused handshakes by cause.
    pub metrics: Arc<crate::admin::Metrics>,
}

impl Peers {
    /// Starts one task per `(id, address)`.
    pub fn start(ctx: &PeerContext, peers: &[(NodeId, String)]) -> Peers {
        let mut entries = BTreeMap::new();
        let failed = Arc::new(AtomicU64::new(0));
        for (id, addr) in peers {
            let (queue, rx) = mpsc::channel(QUEUE);
            let (link_tx, link) = watch::channel(None);
            entries.insert(*id, Entry { queue, link });
            tokio::spawn(peer_task(ctx.clone(), *id, addr.clone(), rx, link_tx, failed.clone()));
        }
        Peers { entries: Arc::new(entries), handshakes_failed: failed }
    }

    /// The configured peers.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.entries.keys().copied()
    }

    /// Queues `out` for `peer` if it is connected (dropped otherwise, or if its queue is full).
    pub fn send(&self, peer: &NodeId, out: Outgoing) {
        if let Some(e) = self.entries.get(peer)
            && e.link.borrow().is_some()
        {
            let _ = e.queue.try_send(out);
        }
    }

    /// The live link to `peer`, if any.
    pub fn link(&self, peer: &NodeId) -> Option<PeerLink> {
        self.entries.get(peer).and_then(|e| e.link.borrow().clone())
    }
}

/// Adds the caller's id to a request.
pub fn with_from<T>(own: &NodeId, msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    if let Ok(v) = hex::encode(own.0).parse() {
        r.metadata_mut().insert(FROM_HEADER, v);
    }
    r
}

/// Channel messages of one session as the wire carries them.
pub fn to_payload(session: SessionId, msgs: Vec<ChannelMessage>) -> EncryptedPayload {
    mcnode_api::convert::channel::payload(session, &msgs)
}

/// The wire's encrypted payload as channel messages (`None` if it is malformed: see
/// `mcnode_api::convert::channel::messages`).
pub fn from_payload(p: EncryptedPayload) -> Option<Vec<ChannelMessage>> {
    mcnode_api::convert::channel::messages(&p).ok().map(|(_, m)| m)
}

/// Why a connection attempt or a connection ended.
#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    #[error("rpc: {0}")]
    Rpc(#[from] tonic::Status),
    #[error("enclave: {0}")]
    Enclave(#[from] super::enclave_worker::EnclaveCallError),
    #[error("the peer answered with a session id that is not ours")]
    SessionMismatch,
}

/// The initiator's handshake with the configured peer `peer` at `addr`: the enclave binds the
/// session to `peer` (its evidence must name it) and returns the peer enclave's attested
/// block-signing key.
async fn handshake(ctx: &PeerContext, peer: NodeId, addr: &str) -> Result<PeerLink, LinkError> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        .connect()
        .await?;
    let mut client = mcnode_api::limits::peer_api_client(channel);
    let own = ctx.own_id;
    let msg1 = ctx.enclave.call(move |e| e.peer_init(peer)).await?;
    let req = with_from(&own, PeerAuthRequest { from_node_id: own.0.to_vec(), handshake: msg1 });
    let msg2 = client.peer_auth(req).await?.into_inner().handshake;
    let now = Clock::unix_secs();
    let (session, msg3, signer) =
        ctx.enclave.call(move |e| e.peer_connect(peer, msg2, now)).await?;
    let req =
        with_from(&own, PeerAuthFinishRequest { from_node_id: own.0.to_vec(), handshake: msg3 });
    let finish = client.peer_auth_finish(req).await?.into_inner();
    if finish.session_id != session.0.0 {
        let _ = ctx.enclave.call(move |e| e.peer_close(session)).await;
        return Err(LinkError::SessionMismatch);
    }
    Ok(PeerLink { client, session, signer })
}

async fn send_one(ctx: &PeerContext, link: &mut PeerLink, out: Outgoing) -> Result<(), LinkError> {
    let own = ctx.own_id;
    match out {
        Outgoing::Msg(w) => {
            let req = SendConsensusMsgRequest { envelope: w.to_vec() };
            link.client.send_consensus_msg(with_from(&own, req)).await?;
        }
        Outgoing::Relay(tx) => {
            let session = link.session;
            let msgs = ctx.enclave.call(move |e| e.txs_for_peer(session, vec![tx])).await?;
            let req = PeerTxProposeRequest { payload: Some(to_payload(session, msgs)) };
            link.client.peer_tx_propose(with_from(&own, req)).await?;
        }
    }
    Ok(())
}

fn jitter() -> f64 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(n % 1000) / 1000.0
}

async fn peer_task(
    ctx: PeerContext,
    peer: NodeId,
    addr: String,
    mut rx: mpsc::Receiver<Outgoing>,
    link_tx: watch::Sender<Option<PeerLink>>,
    failed: Arc<AtomicU64>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    let mut shutdown = ctx.shutdown.clone();
    loop {
        if *shutdown.borrow() {
            return;
        }
        match handshake(&ctx, peer, &addr).await {
            Ok(mut link) => {
                backoff.reset();
                tracing::info!(%peer, %addr, "peer connected and attested");
                while rx.try_recv().is_ok() {}
                let session = link.session;
                link_tx.send_replace(Some(link.clone()));
                let block_signer = link.signer;
                ctx.engine.notify(Input::PeerAttested { node: peer, block_signer }).await;
                ctx.engine.notify(Input::PeerConnected(peer)).await;
                let relays = Arc::new(tokio::sync::Semaphore::new(RELAYS_IN_FLIGHT));
                let why = loop {
                    tokio::select! {
                        out = rx.recv() => match out {
                            None => break None,
                            Some(Outgoing::Relay(tx)) => {
                                let Ok(permit) = relays.clone().acquire_owned().await else {
                                    break None;
                                };
                                let (ctx, mut link) = (ctx.clone(), link.clone());
                                tokio::spawn(async move {
                                    let _permit = permit;
                                    if let Err(e) =
                                        send_one(&ctx, &mut link, Outgoing::Relay(tx)).await
                                    {
                                        // A broken link shows on the next statement sent.
                                        tracing::debug!(%peer, error = %e, "relay failed");
                                    }
                                });
                            }
                            Some(out) => if let Err(e) = send_one(&ctx, &mut link, out).await {
                                break Some(e);
                            },
                        },
                        () = until_stopped(&mut shutdown) => break None,
                    }
                };
                link_tx.send_replace(None);
                ctx.engine.notify(Input::PeerDisconnected(peer)).await;
                let _ = ctx.enclave.call(move |e| e.peer_close(session)).await;
                match why {
                    Some(e) => tracing::warn!(%peer, error = %e, "peer connection lost"),
                    None => return,
                }
            }
            Err(e) => {
                if matches!(
                    e,
                    LinkError::Rpc(_) | LinkError::Enclave(_) | LinkError::SessionMismatch
                ) {
                    failed.fetch_add(1, Ordering::Relaxed);
                    let cause = match &e {
                        LinkError::Enclave(e) => super::peer_service::refusal_cause(e),
                        LinkError::Rpc(_) => "handshake_rpc",
                        _ => "session_mismatch",
                    };
                    ctx.metrics.record_peer_refused(cause);
                }
                if backoff.failures() == 0 {
                    tracing::warn!(%peer, %addr, error = %e, "cannot connect to peer; retrying");
                } else {
                    tracing::debug!(%peer, %addr, error = %e, "cannot connect to peer");
                }
            }
        }
        let delay = backoff.next_delay(jitter());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = until_stopped(&mut shutdown) => return,
        }
    }
}
