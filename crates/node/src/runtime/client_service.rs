//! The client API server (`mcnode.client.v1.ConsensusClientApi`): the attested NX handshake
//! with this node's enclave, encrypted transaction proposals, and the public ledger data a
//! wallet needs. A proposal goes: enclave `ClientTxPropose` (decrypt, check the channel) ->
//! host ledger checks and the host's proof -> enclave `TxsAreWellFormed` -> engine pool; every
//! outcome is a typed result code ([`super::results`]), `NotServing` while catching up.

use mcnode_api::pb::client::v1::consensus_client_api_server::ConsensusClientApi;
use mcnode_api::pb::client::v1::*;
use mcnode_api::pb::common::v1 as pb;
use mcnode_ledger::Ledger;
use tonic::{Request, Response, Status};

use crate::engine::Input;

use super::peers::from_payload;
use super::results;
use super::services::{MAX_OUTPUTS_PER_REQUEST, Services};

/// The client API.
#[derive(Clone, Debug)]
pub struct ClientService(pub Services);

#[tonic::async_trait]
impl ConsensusClientApi for ClientService {
    async fn auth(&self, request: Request<AuthRequest>) -> Result<Response<AuthResponse>, Status> {
        let msg1 = request.into_inner().handshake;
        match self.0.enclave.call(move |e| e.client_accept(msg1)).await {
            Ok((_session, msg2)) => Ok(Response::new(AuthResponse { handshake: msg2 })),
            Err(e) => Err(Status::permission_denied(format!("handshake refused: {e}"))),
        }
    }

    async fn propose_tx(
        &self,
        request: Request<ProposeTxRequest>,
    ) -> Result<Response<pb::ProposeTxResponse>, Status> {
        let s = &self.0;
        let reply = |r: pb::ProposeTxResult| {
            if let Ok(code) = mcnode_api::ProposeTxResult::try_from(r as i32) {
                s.metrics.record_tx_result(code);
            }
            Ok(Response::new(pb::ProposeTxResponse { result: r as i32, block_count: s.height() }))
        };
        if !s.status.serving() {
            return reply(pb::ProposeTxResult::NotServing);
        }
        let Some(msgs) = request.into_inner().payload.and_then(from_payload) else {
            return reply(pb::ProposeTxResult::ChannelMalformed);
        };
        let ctx = match s.enclave.call(move |e| e.client_tx_propose(msgs)).await {
            Ok(c) => c,
            Err(e) => return reply(results::enclave_code(&e)),
        };
        // Until the transaction is pooled, another copy of it waits (see `same_tx`).
        let _same = s.admission.hold(ctx.tx_hash).await;
        if s.admission.already_pooled(ctx.tx_hash).await {
            // Already pending (a peer relayed it first): the proposal is in, as wanted.
            return reply(pb::ProposeTxResult::Ok);
        }
        let started = std::time::Instant::now();
        let admitted = s.admission.admit(ctx).await;
        s.metrics.validation_seconds.observe(started.elapsed().as_secs_f64());
        let tx = match admitted {
            Ok(tx) => tx,
            Err(e) => return reply(results::admit_code(&e)),
        };
        match s.engine.input(Input::ClientTx { context: tx.context, payload: tx.payload }).await {
            Ok(Ok(())) => reply(pb::ProposeTxResult::Ok),
            Ok(Err(e)) => reply(results::input_code(&e)),
            Err(_) => reply(pb::ProposeTxResult::NotServing),
        }
    }

    async fn get_last_block_info(
        &self,
        _request: Request<GetLastBlockInfoRequest>,
    ) -> Result<Response<GetLastBlockInfoResponse>, Status> {
        let last = self
            .0
            .ledger
            .with(|l| l.last_block())
            .await
            .map_err(|e| Status::internal(e.to_string()))?
            .map_err(|e| Status::internal(e.to_string()))?
            .ok_or_else(|| Status::unavailable("the ledger has no blocks"))?;
        let mut fees: Vec<TokenFee> = self
            .0
            .fees
            .iter()
            .map(|f| TokenFee { token_id: f.token.0, minimum_fee: f.minimum_fee })
            .collect();
        fees.sort_by_key(|f| f.token_id);
        Ok(Response::new(GetLastBlockInfoResponse {
            index: last.index,
            minimum_fees: fees,
            block_version: last.version,
        }))
    }

    async fn get_blocks(
        &self,
        request: Request<pb::GetBlocksRequest>,
    ) -> Result<Response<pb::GetBlocksResponse>, Status> {
        Ok(Response::new(self.0.get_blocks(request.into_inner()).await?))
    }

    async fn get_outputs(
        &self,
        request: Request<GetOutputsRequest>,
    ) -> Result<Response<GetOutputsResponse>, Status> {
        let r = request.into_inner();
        if r.indices.is_empty() || r.indices.len() > MAX_OUTPUTS_PER_REQUEST {
            return Err(Status::invalid_argument("indices: 1 to 1000 indices"));
        }
        let at = r.block_index;
        let found = self
            .0
            .ledger
            .with(move |l| -> Result<_, Status> {
                let internal = |e: mcnode_ledger::LedgerError| Status::internal(e.to_string());
                let block = l
                    .block_header(at)
                    .map_err(internal)?
                    .ok_or_else(|| Status::not_found(format!("no block {at}")))?;
                let n = block.cumulative_txo_count;
                let mut out = Vec::with_capacity(r.indices.len());
                for i in r.indices {
                    if i >= n {
                        return Err(Status::invalid_argument(format!(
                            "output {i} is not in the ledger at block {at} ({n} outputs)"
                        )));
                    }
                    let o = l
                        .output(i)
                        .map_err(internal)?
                        .ok_or_else(|| Status::internal(format!("output {i} missing")))?;
                    let p = l.membership_proof_at(i, n).map_err(internal)?;
                    out.push(OutputWithProof {
                        output: Some(pb::TxOut::from(&o)),
                        proof: Some(pb::MembershipProof::from(&p)),
                    });
                }
                Ok((block.root_element, out))
            })
            .await
            .map_err(|e| Status::internal(e.to_string()))??;
        Ok(Response::new(GetOutputsResponse {
            block_index: at,
            root_element: found.0.0.to_vec(),
            outputs: found.1,
        }))
    }
}
