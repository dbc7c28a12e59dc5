//! [`NodeApi`] over gRPC: one node's public client API (`mcnode.client.v1.ConsensusClientApi`)
//! reached through an attested Noise NX channel to its enclave.
//!
//! [`GrpcNode::connect`] opens the channel BEFORE anything else: the node's enclave answers
//! the client's first Noise message with its static key and its attestation evidence, and the
//! evidence is verified (trust anchor, measurement allow-list, chain id, configuration digest,
//! and that it names the Noise key the channel actually uses) with the caller's
//! [`Verifier`]. A node whose evidence fails is refused with [`NodeError::NotAttested`] (or
//! [`NodeError::SimulatedNotAllowed`] when it is simulated evidence the policy does not
//! accept); nothing it says is used. The verified claims give the enclave's block-signing
//! key, which is what the wallet's [`crate::TrustPolicy`] trusts for blocks.
//!
//! Transactions travel only encrypted on that session ([`mcnode_enclave::chunks`]); ledger
//! data (`GetBlocks`, `GetOutputs`) is public and is checked by the wallet, not trusted.
//! Time and randomness are the caller's: `now` for evidence expiry, a seed for the Noise
//! ephemeral key.

use std::time::Duration;

use mcnode_api::ProposeTxResult;
use mcnode_api::convert::channel::payload;
use mcnode_api::convert::requests::{LastBlockInfo as WireInfo, OutputsAnswer as WireOutputs};
use mcnode_api::pb::client::v1::consensus_client_api_client::ConsensusClientApiClient;
use mcnode_api::pb::client::v1::{AuthRequest, GetLastBlockInfoRequest, GetOutputsRequest};
use mcnode_api::pb::common::v1::GetBlocksRequest;
use mcnode_attest::{Failure, VerifiedClaims, Verifier};
use mcnode_enclave::channel::{ChannelConfig, ChannelError, ClientHandshake, Session};
use mcnode_enclave::chunks::seal_chunks;
use mcnode_enclave::host_types::ProposedTx;
use mcnode_ledger::BlockData;
use mcnode_tx::{MembershipProof, Tx};
use mcnode_types::{Encode, NodeId};
use tonic::transport::{Channel, Endpoint};

use crate::node_api::{
    LastBlockInfo, NodeApi, NodeError, OutputWithProof, OutputsAnswer, ProposeRefusal,
};

/// How long a connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// One node, reached over an attested channel.
pub struct GrpcNode {
    url: String,
    client: ConsensusClientApiClient<Channel>,
    session: Session,
    claims: VerifiedClaims,
}

impl std::fmt::Debug for GrpcNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcNode")
            .field("url", &self.url)
            .field("session", &self.session.id())
            .field("signer", &self.signer())
            .finish()
    }
}

/// Why an attested handshake failed, as a [`NodeError`].
pub fn handshake_error(node: &str, e: ChannelError) -> NodeError {
    let node = node.to_owned();
    match e {
        ChannelError::Attestation(refusal)
            if refusal.failures.iter().any(|f| {
                matches!(f, Failure::SimulationNotAllowed | Failure::TeeNotAllowed { .. })
            }) && refusal.failures.iter().all(|f| {
                matches!(
                    f,
                    Failure::SimulationNotAllowed
                        | Failure::TeeNotAllowed { .. }
                        | Failure::NoAnchor { .. }
                        | Failure::UntrustedChain
                )
            }) =>
        {
            NodeError::SimulatedNotAllowed { node }
        }
        other => NodeError::NotAttested { node, reason: other.to_string() },
    }
}

fn status_error(node: &str, s: tonic::Status) -> NodeError {
    let node = node.to_owned();
    match s.code() {
        tonic::Code::Unavailable if s.message().contains("ledger") => {
            NodeError::NotServing { node }
        }
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => {
            NodeError::Unreachable { node, reason: s.message().to_owned() }
        }
        tonic::Code::PermissionDenied => {
            NodeError::NotAttested { node, reason: s.message().to_owned() }
        }
        _ => NodeError::Unreachable { node, reason: format!("{:?}: {}", s.code(), s.message()) },
    }
}

fn protocol(what: &'static str) -> NodeError {
    NodeError::Protocol { what }
}

/// The refusal a result code names (`None`: accepted).
pub fn refusal(r: ProposeTxResult) -> Option<ProposeRefusal> {
    Some(match r {
        ProposeTxResult::Ok => return None,
        ProposeTxResult::OverCapacity => ProposeRefusal::OverCapacity,
        ProposeTxResult::NotServing => ProposeRefusal::NotServing,
        ProposeTxResult::UnknownSession
        | ProposeTxResult::ChannelReplay
        | ProposeTxResult::ChannelForged
        | ProposeTxResult::ChannelMalformed
        | ProposeTxResult::ChannelError => ProposeRefusal::Channel,
        ProposeTxResult::MalformedTx => ProposeRefusal::MalformedTx,
        ProposeTxResult::EnclaveError => ProposeRefusal::EnclaveError,
        ProposeTxResult::Rejected(rule) => ProposeRefusal::Rejected(rule),
    })
}

impl GrpcNode {
    /// Connects to the client API at `url` (`http://host:port`) and opens the attested
    /// channel: the enclave's evidence must satisfy `verifier` at `now` (Unix seconds) for
    /// the chain and configuration in `cfg`. `ephemeral_seed` must be fresh random bytes.
    pub async fn connect(
        url: &str,
        cfg: &ChannelConfig,
        verifier: &Verifier,
        now: u64,
        ephemeral_seed: [u8; 32],
    ) -> Result<GrpcNode, NodeError> {
        let unreachable = |reason: String| NodeError::Unreachable { node: url.to_owned(), reason };
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| unreachable(format!("not a URL: {e}")))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT);
        let channel = endpoint.connect().await.map_err(|e| unreachable(error_chain(&e)))?;
        let mut client = mcnode_api::limits::client_api_client(channel);
        let (hs, msg1) =
            ClientHandshake::start(cfg, ephemeral_seed).map_err(|e| handshake_error(url, e))?;
        let msg2 = client
            .auth(AuthRequest { handshake: msg1 })
            .await
            .map_err(|s| status_error(url, s))?
            .into_inner()
            .handshake;
        let (session, claims) =
            hs.finish(&msg2, verifier, now).map_err(|e| handshake_error(url, e))?;
        Ok(GrpcNode { url: url.to_owned(), client, session, claims })
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The attested block-signing key of the node's enclave.
    pub fn signer(&self) -> NodeId {
        NodeId(self.claims.claims.block_signing_key)
    }

    /// The verified attestation claims.
    pub fn claims(&self) -> &VerifiedClaims {
        &self.claims
    }

    /// Proposes `tx` and returns the node's result code as it is (the e2e tests name codes).
    pub async fn propose(
        &mut self,
        tx: &Tx,
        ring_proofs: &[MembershipProof],
    ) -> Result<ProposeTxResult, NodeError> {
        let plain = ProposedTx { tx: tx.clone(), ring_proofs: ring_proofs.to_vec() };
        let msgs = seal_chunks(&mut self.session, &plain.to_canonical_bytes())
            .map_err(|e| handshake_error(&self.url, e))?;
        let req = mcnode_api::pb::client::v1::ProposeTxRequest {
            payload: Some(payload(self.session.id(), &msgs)),
        };
        let r = self.client.propose_tx(req).await.map_err(|s| status_error(&self.url, s))?;
        let (result, _count) = mcnode_api::result::from_propose_response(&r.into_inner())
            .map_err(|_| protocol("ProposeTx answered an unknown result code"))?;
        Ok(result)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl NodeApi for GrpcNode {
    async fn last_block_info(&mut self) -> Result<LastBlockInfo, NodeError> {
        let r = self
            .client
            .get_last_block_info(GetLastBlockInfoRequest {})
            .await
            .map_err(|s| status_error(&self.url, s))?;
        let info = WireInfo::try_from(&r.into_inner())
            .map_err(|_| protocol("GetLastBlockInfo answer does not decode"))?;
        Ok(LastBlockInfo { index: info.index, minimum_fees: info.minimum_fees })
    }

    async fn get_blocks(&mut self, from: u64, limit: u32) -> Result<Vec<BlockData>, NodeError> {
        let req = GetBlocksRequest { from, limit };
        let r = match self.client.get_blocks(req).await {
            Ok(r) => r.into_inner(),
            // Past the tip: no blocks yet.
            Err(s) if s.code() == tonic::Code::NotFound => return Ok(Vec::new()),
            Err(s) => return Err(status_error(&self.url, s)),
        };
        mcnode_api::convert::requests::blocks_from_response(&r)
            .map_err(|_| protocol("GetBlocks answer does not decode"))
    }

    async fn get_outputs(
        &mut self,
        indices: &[u64],
        at_block: u64,
    ) -> Result<OutputsAnswer, NodeError> {
        let req = GetOutputsRequest { indices: indices.to_vec(), block_index: at_block };
        let r = self.client.get_outputs(req).await.map_err(|s| status_error(&self.url, s))?;
        let a = WireOutputs::try_from(&r.into_inner())
            .map_err(|_| protocol("GetOutputs answer does not decode"))?;
        Ok(OutputsAnswer {
            block_index: a.block_index,
            root_element: a.root_element,
            outputs: a
                .outputs
                .into_iter()
                .map(|(output, proof)| OutputWithProof { output, proof })
                .collect(),
        })
    }

    async fn propose_tx(
        &mut self,
        tx: &Tx,
        ring_proofs: &[MembershipProof],
    ) -> Result<(), NodeError> {
        match refusal(self.propose(tx, ring_proofs).await?) {
            None => Ok(()),
            Some(r) => Err(NodeError::Refused(r)),
        }
    }
}
