//! Fetches the engine asks for: transaction bodies (`GetTxs`, MobileCoin's way of getting a
//! value it must vote on), quorum sets named by statements (`GetQuorumSet`, checked against
//! the hash asked for) and, for catch-up, blocks (`GetBlocks`). Peers are asked one after
//! another, best first, until one answers (bodies) or all have (blocks); what comes back goes through the same checks as
//! any other input (bodies through the enclave and the ledger, [`super::admit`]; blocks
//! through the engine's signature and link checks) before the engine uses it.

use std::ops::Range;

use mcnode_api::pb::common::v1::GetBlocksRequest;
use mcnode_api::pb::peer::v1::{GetQuorumSetRequest, GetTxsRequest};
use mcnode_types::{Hash32, NodeId};

use crate::engine::Input;

use super::actor::EngineHandle;
use super::admit::Admission;
use super::peers::{Peers, from_payload, with_from};

/// Asks `from` (in turn) for the bodies of `hashes`; hands what validates to the engine.
pub async fn fetch_txs(
    peers: Peers,
    admission: Admission,
    own: NodeId,
    from: Vec<NodeId>,
    hashes: Vec<Hash32>,
) {
    for peer in from {
        let Some(mut link) = peers.link(&peer) else { continue };
        let req = GetTxsRequest {
            session_id: link.session.0.0.to_vec(),
            tx_hashes: hashes.iter().map(|h| h.0.to_vec()).collect(),
        };
        let resp = match link.client.get_txs(with_from(&own, req)).await {
            Ok(r) => r.into_inner(),
            Err(e) => {
                tracing::debug!(%peer, error = %e, "GetTxs failed");
                continue;
            }
        };
        let Some(msgs) = resp.payload.and_then(from_payload) else { continue };
        let contexts = match admission.enclave.call(move |e| e.peer_tx_propose(msgs)).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(%peer, error = %e, "fetched bodies refused by the enclave");
                continue;
            }
        };
        let mut txs = Vec::new();
        let mut pooled = 0;
        for ctx in contexts {
            // Released before the engine pools the batch: a relayed copy arriving in between
            // is checked once more, which costs time, not correctness.
            let _same = admission.hold(ctx.tx_hash).await;
            if admission.already_pooled(ctx.tx_hash).await {
                pooled += 1;
                continue;
            }
            match admission.admit(ctx).await {
                Ok(tx) => txs.push(tx),
                Err(e) => tracing::debug!(%peer, error = %e, "fetched body not admitted"),
            }
        }
        if !txs.is_empty() {
            admission.engine.notify(Input::TxsFetched { from: peer, txs }).await;
            return;
        }
        if pooled > 0 {
            // A relay delivered them meanwhile; the engine learnt of them when they were pooled.
            return;
        }
    }
}

/// Asks every peer of `from` for the blocks in `range` and hands each answer to the engine: a
/// node stores only its own enclave's signature on the blocks it formed, so the signatures
/// of a quorum slice come from several peers' answers (the engine gathers them per block).
pub async fn fetch_blocks(
    peers: Peers,
    engine: EngineHandle,
    own: NodeId,
    from: Vec<NodeId>,
    range: Range<u64>,
) {
    let limit = u32::try_from(range.end.saturating_sub(range.start)).unwrap_or(u32::MAX);
    for peer in from {
        let Some(mut link) = peers.link(&peer) else { continue };
        let req = GetBlocksRequest { from: range.start, limit };
        let resp = match link.client.get_blocks(with_from(&own, req)).await {
            Ok(r) => r.into_inner(),
            Err(e) => {
                tracing::debug!(%peer, error = %e, "GetBlocks failed");
                continue;
            }
        };
        let blocks = mcnode_api::convert::requests::blocks_from_response(&resp);
        match blocks {
            Ok(blocks) if !blocks.is_empty() => {
                engine.notify(Input::BlocksFetched { from: peer, blocks }).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(%peer, error = %e, "peer sent a malformed block"),
        }
    }
}

/// Why a fetched quorum set was not used.
#[derive(Debug, thiserror::Error)]
pub enum QuorumSetFetchError {
    /// The peer is not connected.
    #[error("not connected")]
    NotConnected,
    /// The call failed.
    #[error("GetQuorumSet failed: {0}")]
    Rpc(#[from] tonic::Status),
    /// The answer breaks the wire limits.
    #[error("malformed answer: {0}")]
    Wire(#[from] mcnode_api::WireError),
    /// The peer knows no set with that hash.
    #[error("the peer does not know it")]
    Unknown,
    /// The bytes are not a quorum set.
    #[error("not a quorum set: {0}")]
    Decode(#[from] mcnode_types::DecodeError),
    /// The set does not hash to the hash asked for.
    #[error("the answer hashes to {got}, not to the hash asked for")]
    WrongHash {
        /// Its hash.
        got: Hash32,
    },
}

/// Asks `peer` for the quorum set with `hash`; a set that hashes to it goes to the engine.
pub async fn fetch_quorum_set(
    peers: Peers,
    engine: EngineHandle,
    own: NodeId,
    peer: NodeId,
    hash: Hash32,
) -> Result<(), QuorumSetFetchError> {
    use mcnode_types::Decode as _;
    let mut link = peers.link(&peer).ok_or(QuorumSetFetchError::NotConnected)?;
    let req = GetQuorumSetRequest { hash: hash.0.to_vec() };
    let resp = link.client.get_quorum_set(with_from(&own, req)).await?.into_inner();
    let bytes = mcnode_api::convert::requests::quorum_set_answer(&resp)?
        .ok_or(QuorumSetFetchError::Unknown)?;
    let quorum_set = mcnode_scp::QuorumSet::from_canonical_bytes(bytes)?;
    let got = quorum_set.hash();
    if got != hash {
        return Err(QuorumSetFetchError::WrongHash { got });
    }
    engine.notify(Input::QuorumSet { quorum_set }).await;
    Ok(())
}

/// [`fetch_quorum_set`], asked again every half second for up to 30 s while the link to
/// `peer` is not up yet (a peer that connected to this node pushes its statements before this
/// node's own link to it is established) or the peer does not know the set yet.
pub async fn fetch_quorum_set_retrying(
    peers: Peers,
    engine: EngineHandle,
    own: NodeId,
    peer: NodeId,
    hash: Hash32,
) {
    for _ in 0..60 {
        match fetch_quorum_set(peers.clone(), engine.clone(), own, peer, hash).await {
            Ok(()) => return,
            Err(QuorumSetFetchError::NotConnected | QuorumSetFetchError::Unknown) => {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(e) => {
                tracing::warn!(%peer, %hash, error = %e, "quorum set not fetched");
                return;
            }
        }
    }
    tracing::warn!(%peer, %hash, "quorum set not fetched: the peer did not answer it in 30 s");
}
