//! The peer API server (`mcnode.peer.v1.PeerApi`): the responder side of the attested
//! handshake, relayed transactions, signed SCP messages, and the fetches peers make (bodies,
//! blocks). Only configured peers may open a session; every refused handshake is counted
//! ([`Services::refuse_peer`]).

use mcnode_api::pb::common::v1 as pb;
use mcnode_api::pb::peer::v1::peer_api_server::PeerApi;
use mcnode_api::pb::peer::v1::*;
use mcnode_enclave::channel::SessionId;
use mcnode_types::{Hash32, NodeId};
use tonic::{Request, Response, Status};

use crate::engine::Input;

use super::clock::Clock;
use super::peers::{FROM_HEADER, from_payload, to_payload};
use super::results;
use super::services::{MAX_TX_HASHES_PER_REQUEST, Services, node_id_field};

/// Largest SCP envelope accepted.
pub const MAX_ENVELOPE_BYTES: usize = mcnode_api::limits::MAX_ENVELOPE_LEN;

/// The peer API.
#[derive(Clone, Debug)]
pub struct PeerService(pub Services);

fn caller<T>(req: &Request<T>) -> Result<NodeId, Status> {
    let v = req
        .metadata()
        .get(FROM_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Status::invalid_argument(format!("missing {FROM_HEADER} header")))?;
    let bytes = hex::decode(v).map_err(|_| Status::invalid_argument("bad node id header"))?;
    node_id_field(FROM_HEADER, &bytes)
}

/// The metrics label of a handshake the enclave refused: the failed attestation check for
/// evidence that does not verify (`untrusted_anchor`: no chain to a configured trust anchor,
/// e.g. forged evidence; `simulated_not_allowed`, `tee_not_allowed`, `debug_enclave`,
/// `measurement_not_allowed`, `evidence_expired`, `report_data`, `noise_key_mismatch`,
/// `config_mismatch`; `attestation` for any other), `peer_id_mismatch` for a genuine enclave
/// whose evidence names another node than the one dialled or calling, otherwise the failed
/// channel step (`noise_prologue` when the Noise handshake fails, which is how a peer of
/// another chain or configuration shows: the prologue binds chain id and configuration digest;
/// `evidence_malformed`; `forged` for a tampered message, ...), or `enclave`. The enclave
/// reports only which of its policy's checks failed, never the peer's claims.
pub fn refusal_cause(e: &super::enclave_worker::EnclaveCallError) -> &'static str {
    use super::enclave_worker::EnclaveCallError;
    use mcnode_enclave::BoundaryError;
    use mcnode_enclave::refusal::{ChannelFailure as C, EnclaveError};
    match e {
        EnclaveCallError::Call(BoundaryError::Refused(EnclaveError::Channel(f))) => match f {
            C::Attestation => "attestation",
            C::AttestUntrustedAnchor => "untrusted_anchor",
            C::AttestSimulatedNotAllowed => "simulated_not_allowed",
            C::AttestTeeNotAllowed => "tee_not_allowed",
            C::AttestDebugEnclave => "debug_enclave",
            C::AttestMeasurementNotAllowed => "measurement_not_allowed",
            C::AttestExpired => "evidence_expired",
            C::AttestReportData => "report_data",
            C::AttestNoiseKeyMismatch => "noise_key_mismatch",
            C::AttestConfigMismatch => "config_mismatch",
            C::Evidence => "evidence_malformed",
            C::PeerIdMismatch => "peer_id_mismatch",
            C::Noise => "noise_prologue",
            C::Forged => "forged",
            C::NoRemoteStatic
            | C::TooLarge
            | C::Malformed
            | C::WrongSession
            | C::Replay
            | C::Exhausted
            | C::UnknownSession
            | C::NoPendingHandshake
            | C::WrongRole => "handshake",
        },
        _ => "enclave",
    }
}

#[tonic::async_trait]
impl PeerApi for PeerService {
    async fn peer_auth(
        &self,
        request: Request<PeerAuthRequest>,
    ) -> Result<Response<PeerAuthResponse>, Status> {
        let s = &self.0;
        let r = request.into_inner();
        let from = node_id_field("from_node_id", &r.from_node_id)?;
        if !s.known_peers.contains(&from) {
            s.refuse_peer("unknown_node");
            tracing::warn!(peer = %from, "handshake from a node that is not a configured peer");
            return Err(Status::permission_denied("not a configured peer"));
        }
        let msg1 = r.handshake;
        // The enclave binds the session to `from`: the initiator's evidence must name it.
        match s.enclave.call(move |e| e.peer_accept(from, msg1)).await {
            Ok(msg2) => Ok(Response::new(PeerAuthResponse { handshake: msg2 })),
            Err(e) => {
                s.refuse_peer(refusal_cause(&e));
                tracing::warn!(peer = %from, error = %e, "peer handshake refused");
                Err(Status::permission_denied(format!("handshake refused: {e}")))
            }
        }
    }

    async fn peer_auth_finish(
        &self,
        request: Request<PeerAuthFinishRequest>,
    ) -> Result<Response<PeerAuthFinishResponse>, Status> {
        let s = &self.0;
        let r = request.into_inner();
        let from = node_id_field("from_node_id", &r.from_node_id)?;
        if !s.known_peers.contains(&from) {
            s.refuse_peer("unknown_node");
            return Err(Status::permission_denied("not a configured peer"));
        }
        let msg3 = r.handshake;
        let now = Clock::unix_secs();
        match s.enclave.call(move |e| e.peer_finish(from, msg3, now)).await {
            Ok((session, block_signer)) => {
                s.accept_session(session, from);
                tracing::info!(peer = %from, %block_signer, "peer session accepted");
                Ok(Response::new(PeerAuthFinishResponse { session_id: session.0.0.to_vec() }))
            }
            Err(e) => {
                s.refuse_peer(refusal_cause(&e));
                tracing::warn!(peer = %from, error = %e, "peer attestation refused");
                Err(Status::permission_denied(format!("attestation refused: {e}")))
            }
        }
    }

    async fn peer_tx_propose(
        &self,
        request: Request<PeerTxProposeRequest>,
    ) -> Result<Response<pb::ProposeTxResponse>, Status> {
        let s = &self.0;
        let payload = request
            .into_inner()
            .payload
            .ok_or_else(|| Status::invalid_argument("payload is required"))?;
        let msgs = from_payload(payload)
            .ok_or_else(|| Status::invalid_argument("malformed encrypted payload"))?;
        let from = s
            .session_peer(&msgs[0].session)
            .ok_or_else(|| Status::unauthenticated("unknown peer session"))?;
        let reply = |r: pb::ProposeTxResult| {
            Ok(Response::new(pb::ProposeTxResponse { result: r as i32, block_count: s.height() }))
        };
        let contexts = match s.enclave.call(move |e| e.peer_tx_propose(msgs)).await {
            Ok(c) => c,
            Err(e) => return reply(results::enclave_code(&e)),
        };
        // The relay is answered once the enclave has taken it: its admission (the ledger
        // checks and the enclave's full check, which may wait for a batch) runs on a task of
        // its own, so the sending node's link is not held for it. The relaying peer does not
        // act on the outcome; the admission's refusals are logged. At most
        // `RELAYED_ADMISSIONS` relays are admitted at once; past that the answer waits.
        let Ok(permit) = s.relayed_admissions.clone().acquire_owned().await else {
            return reply(pb::ProposeTxResult::NotServing);
        };
        let s2 = s.clone();
        tokio::spawn(async move {
            let _permit = permit;
            for ctx in contexts {
                let _same = s2.admission.hold(ctx.tx_hash).await;
                if s2.admission.already_pooled(ctx.tx_hash).await {
                    continue;
                }
                match s2.admission.admit(ctx).await {
                    Ok(tx) => {
                        let input =
                            Input::PeerTx { from, context: tx.context, payload: tx.payload };
                        if let Ok(Err(e)) = s2.engine.input(input).await {
                            tracing::debug!(peer = %from, error = %e, "relayed tx not pooled");
                        }
                    }
                    Err(e) => tracing::debug!(peer = %from, error = %e, "relayed tx not admitted"),
                }
            }
        });
        reply(pb::ProposeTxResult::Ok)
    }

    async fn send_consensus_msg(
        &self,
        request: Request<SendConsensusMsgRequest>,
    ) -> Result<Response<SendConsensusMsgResponse>, Status> {
        let from = caller(&request)?;
        let bytes = request.into_inner().envelope;
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(Status::invalid_argument("envelope too large"));
        }
        self.0.byzantine.observe_incoming(&bytes);
        self.0.engine.notify(Input::PeerMessage { from, bytes }).await;
        Ok(Response::new(SendConsensusMsgResponse {}))
    }

    async fn get_latest_msg(
        &self,
        request: Request<GetLatestMsgRequest>,
    ) -> Result<Response<GetLatestMsgResponse>, Status> {
        // This node's latest signed statements for the current slot (stellar-core's
        // GET_SCP_STATE), for configured peers; anyone else gets none.
        let s = &self.0;
        let from = caller(&request).ok();
        let known = from.is_some_and(|from| s.known_peers.contains(&from));
        let envelopes = if known {
            let msgs = s.engine.latest_msgs().await;
            let i = super::byzantine::position(&s.known_peers, from);
            s.byzantine.latest_answer(i, msgs).iter().map(|w| w.to_vec()).collect()
        } else {
            Vec::new()
        };
        Ok(Response::new(GetLatestMsgResponse { envelopes }))
    }

    async fn get_quorum_set(
        &self,
        request: Request<GetQuorumSetRequest>,
    ) -> Result<Response<GetQuorumSetResponse>, Status> {
        // Quorum sets are public (their hashes are in every signed statement): any caller.
        let hash = mcnode_api::convert::requests::quorum_set_query(request.get_ref())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let quorum_set = match self.0.engine.quorum_set(hash).await {
            Some(q) => mcnode_types::Encode::to_canonical_bytes(&q),
            None => Vec::new(),
        };
        Ok(Response::new(GetQuorumSetResponse { quorum_set }))
    }

    async fn get_txs(
        &self,
        request: Request<GetTxsRequest>,
    ) -> Result<Response<GetTxsResponse>, Status> {
        let s = &self.0;
        let r = request.into_inner();
        let session = SessionId(Hash32(
            r.session_id
                .try_into()
                .map_err(|_| Status::invalid_argument("session_id must be 32 bytes"))?,
        ));
        if s.session_peer(&session).is_none() {
            return Err(Status::unauthenticated("unknown peer session"));
        }
        if r.tx_hashes.is_empty() || r.tx_hashes.len() > MAX_TX_HASHES_PER_REQUEST {
            return Err(Status::invalid_argument("tx_hashes: 1 to 500 hashes"));
        }
        let hashes = r
            .tx_hashes
            .into_iter()
            .map(|h| h.try_into().map(Hash32))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Status::invalid_argument("every tx hash must be 32 bytes"))?;
        let found = if s.byzantine.answers_txs() {
            s.engine.get_txs(hashes.clone()).await
        } else {
            Vec::new()
        };
        let missing = hashes
            .iter()
            .filter(|h| !found.iter().any(|t| t.context.tx_hash == **h))
            .map(|h| h.0.to_vec())
            .collect();
        let payload = if found.is_empty() {
            None
        } else {
            let txs = found.into_iter().map(|t| t.payload).collect();
            let msgs = s
                .enclave
                .call(move |e| e.txs_for_peer(session, txs))
                .await
                .map_err(|e| Status::internal(e.to_string()))?;
            Some(to_payload(session, msgs))
        };
        Ok(Response::new(GetTxsResponse { payload, missing }))
    }

    async fn get_blocks(
        &self,
        request: Request<pb::GetBlocksRequest>,
    ) -> Result<Response<pb::GetBlocksResponse>, Status> {
        let s = &self.0;
        let i = super::byzantine::position(&s.known_peers, caller(&request).ok());
        let req = request.into_inner();
        let stale = if s.byzantine.wants_stale_blocks() {
            s.get_blocks(pb::GetBlocksRequest { from: 0, ..req }).await.ok()
        } else {
            None
        };
        let resp = s.get_blocks(req).await?;
        Ok(Response::new(s.byzantine.blocks_answer(i, resp, stale)))
    }
}
