//! Requests and answers of the client and peer APIs, as validated domain values: every list
//! within its cap ([`crate::limits`]), every hash, id and handshake of the right size. A
//! server converts each request first and answers `INVALID_ARGUMENT` (via
//! `From<WireError> for tonic::Status`) when the conversion refuses it; a client converts
//! each answer the same way.

use mcnode_enclave::call::MAX_TOKENS;
use mcnode_enclave::channel::{ChannelMessage, SessionId};
use mcnode_ledger::BlockData;
use mcnode_tx::{MembershipProof, TokenId, TxOut};
use mcnode_types::{Hash32, NodeId};

use super::channel::{messages, payload, session_id};
use crate::error::{WireError, cap, fixed, required};
use crate::limits::{
    MAX_BLOCKS_PER_REQUEST, MAX_ENVELOPE_LEN, MAX_HANDSHAKE_LEN, MAX_LATEST_ENVELOPES,
    MAX_OUTPUTS_PER_REQUEST, MAX_QUORUM_SET_LEN, MAX_RESPONSE_BYTES, MAX_TX_HASHES_PER_REQUEST,
};
use crate::pb::client::v1 as client;
use crate::pb::common::v1 as common;
use crate::pb::peer::v1 as peer;

fn bytes_within(field: &'static str, b: &[u8], max: usize) -> Result<(), WireError> {
    if b.is_empty() {
        return Err(WireError::Empty { field });
    }
    if b.len() > max {
        return Err(WireError::TooLong { field, got: b.len(), max });
    }
    Ok(())
}

fn count_within<T>(field: &'static str, items: &[T], max: usize) -> Result<(), WireError> {
    if items.is_empty() {
        return Err(WireError::Empty { field });
    }
    cap(field, items, max)
}

/// A `GetBlocks` request: blocks `from ..` at most `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRange {
    /// First block index.
    pub from: u64,
    /// How many, 1 to [`MAX_BLOCKS_PER_REQUEST`].
    pub limit: u32,
}

impl TryFrom<&common::GetBlocksRequest> for BlockRange {
    type Error = WireError;
    fn try_from(r: &common::GetBlocksRequest) -> Result<Self, WireError> {
        if r.limit == 0 {
            return Err(WireError::Empty { field: "GetBlocksRequest.limit" });
        }
        if r.limit > MAX_BLOCKS_PER_REQUEST {
            return Err(WireError::TooMany {
                field: "GetBlocksRequest.limit",
                got: r.limit as usize,
                max: MAX_BLOCKS_PER_REQUEST as usize,
            });
        }
        Ok(BlockRange { from: r.from, limit: r.limit })
    }
}

/// The blocks of `blocks` (consecutive, from the requested index) that fit one answer: the
/// first always, then more while the encoded size stays within [`MAX_RESPONSE_BYTES`].
pub fn blocks_within_budget(blocks: &[BlockData]) -> common::GetBlocksResponse {
    let mut out = Vec::new();
    let mut size = 0usize;
    for b in blocks {
        let pb = common::BlockData::from(b);
        let len = prost::Message::encoded_len(&pb);
        if !out.is_empty() && size.saturating_add(len) > MAX_RESPONSE_BYTES {
            break;
        }
        size = size.saturating_add(len);
        out.push(pb);
    }
    common::GetBlocksResponse { blocks: out }
}

/// The blocks of a `GetBlocks` answer (at most [`MAX_BLOCKS_PER_REQUEST`]).
pub fn blocks_from_response(r: &common::GetBlocksResponse) -> Result<Vec<BlockData>, WireError> {
    cap("GetBlocksResponse.blocks", &r.blocks, MAX_BLOCKS_PER_REQUEST as usize)?;
    r.blocks.iter().map(BlockData::try_from).collect()
}

/// A `GetOutputs` request: outputs by global index, proved against block `block_index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputsQuery {
    /// Global output indices, 1 to [`MAX_OUTPUTS_PER_REQUEST`].
    pub indices: Vec<u64>,
    /// The block whose root the proofs reach.
    pub block_index: u64,
}

impl TryFrom<&client::GetOutputsRequest> for OutputsQuery {
    type Error = WireError;
    fn try_from(r: &client::GetOutputsRequest) -> Result<Self, WireError> {
        count_within("GetOutputsRequest.indices", &r.indices, MAX_OUTPUTS_PER_REQUEST)?;
        Ok(OutputsQuery { indices: r.indices.clone(), block_index: r.block_index })
    }
}

impl From<&OutputsQuery> for client::GetOutputsRequest {
    fn from(q: &OutputsQuery) -> Self {
        client::GetOutputsRequest { indices: q.indices.clone(), block_index: q.block_index }
    }
}

/// A `GetOutputs` answer: each output with its proof against one block's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputsAnswer {
    /// The block the proofs are against.
    pub block_index: u64,
    /// That block's root element.
    pub root_element: Hash32,
    /// Outputs and proofs, in request order.
    pub outputs: Vec<(TxOut, MembershipProof)>,
}

impl From<&OutputsAnswer> for client::GetOutputsResponse {
    fn from(a: &OutputsAnswer) -> Self {
        client::GetOutputsResponse {
            block_index: a.block_index,
            root_element: a.root_element.0.to_vec(),
            outputs: a
                .outputs
                .iter()
                .map(|(o, p)| client::OutputWithProof {
                    output: Some(o.into()),
                    proof: Some(p.into()),
                })
                .collect(),
        }
    }
}

impl TryFrom<&client::GetOutputsResponse> for OutputsAnswer {
    type Error = WireError;
    fn try_from(r: &client::GetOutputsResponse) -> Result<Self, WireError> {
        cap("GetOutputsResponse.outputs", &r.outputs, MAX_OUTPUTS_PER_REQUEST)?;
        Ok(OutputsAnswer {
            block_index: r.block_index,
            root_element: Hash32(fixed("GetOutputsResponse.root_element", &r.root_element)?),
            outputs: r
                .outputs
                .iter()
                .map(|o| {
                    Ok((
                        required("OutputWithProof.output", o.output.as_ref())?.try_into()?,
                        required("OutputWithProof.proof", o.proof.as_ref())?.try_into()?,
                    ))
                })
                .collect::<Result<_, WireError>>()?,
        })
    }
}

/// A `GetLastBlockInfo` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastBlockInfo {
    /// Index of the last block.
    pub index: u64,
    /// Minimum fee of every configured token, ascending by token id.
    pub minimum_fees: Vec<(TokenId, u64)>,
    /// Block format version.
    pub block_version: u32,
}

impl From<&LastBlockInfo> for client::GetLastBlockInfoResponse {
    fn from(i: &LastBlockInfo) -> Self {
        client::GetLastBlockInfoResponse {
            index: i.index,
            minimum_fees: i
                .minimum_fees
                .iter()
                .map(|(t, f)| client::TokenFee { token_id: t.0, minimum_fee: *f })
                .collect(),
            block_version: i.block_version,
        }
    }
}

impl TryFrom<&client::GetLastBlockInfoResponse> for LastBlockInfo {
    type Error = WireError;
    fn try_from(r: &client::GetLastBlockInfoResponse) -> Result<Self, WireError> {
        let field = "GetLastBlockInfoResponse.minimum_fees";
        cap(field, &r.minimum_fees, MAX_TOKENS as usize)?;
        if !r.minimum_fees.windows(2).all(|w| w[0].token_id < w[1].token_id) {
            return Err(WireError::NotCanonical { field, rule: "token ids strictly ascending" });
        }
        Ok(LastBlockInfo {
            index: r.index,
            minimum_fees: r
                .minimum_fees
                .iter()
                .map(|f| (TokenId(f.token_id), f.minimum_fee))
                .collect(),
            block_version: r.block_version,
        })
    }
}

/// The client's Noise NX message 1 of an `Auth` request.
pub fn client_handshake(r: &client::AuthRequest) -> Result<&[u8], WireError> {
    bytes_within("AuthRequest.handshake", &r.handshake, MAX_HANDSHAKE_LEN)?;
    Ok(&r.handshake)
}

/// The session and channel messages of a `ProposeTx` request.
pub fn propose_tx(
    r: &client::ProposeTxRequest,
) -> Result<(SessionId, Vec<ChannelMessage>), WireError> {
    messages(required("ProposeTxRequest.payload", r.payload.as_ref())?)
}

/// A `ProposeTx` request for messages of `session`.
pub fn propose_tx_request(session: SessionId, msgs: &[ChannelMessage]) -> client::ProposeTxRequest {
    client::ProposeTxRequest { payload: Some(payload(session, msgs)) }
}

/// A peer handshake step: who claims to be calling, and its Noise XX message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerHandshake {
    /// The initiator's node id (its evidence must match it).
    pub from: NodeId,
    /// The Noise message.
    pub handshake: Vec<u8>,
}

impl TryFrom<&peer::PeerAuthRequest> for PeerHandshake {
    type Error = WireError;
    fn try_from(r: &peer::PeerAuthRequest) -> Result<Self, WireError> {
        bytes_within("PeerAuthRequest.handshake", &r.handshake, MAX_HANDSHAKE_LEN)?;
        Ok(PeerHandshake {
            from: NodeId(fixed("PeerAuthRequest.from_node_id", &r.from_node_id)?),
            handshake: r.handshake.clone(),
        })
    }
}

impl TryFrom<&peer::PeerAuthFinishRequest> for PeerHandshake {
    type Error = WireError;
    fn try_from(r: &peer::PeerAuthFinishRequest) -> Result<Self, WireError> {
        bytes_within("PeerAuthFinishRequest.handshake", &r.handshake, MAX_HANDSHAKE_LEN)?;
        Ok(PeerHandshake {
            from: NodeId(fixed("PeerAuthFinishRequest.from_node_id", &r.from_node_id)?),
            handshake: r.handshake.clone(),
        })
    }
}

/// The session and channel messages of a `PeerTxPropose` request.
pub fn peer_tx_propose(
    r: &peer::PeerTxProposeRequest,
) -> Result<(SessionId, Vec<ChannelMessage>), WireError> {
    messages(required("PeerTxProposeRequest.payload", r.payload.as_ref())?)
}

/// The envelope of a `SendConsensusMsg` request (opaque here; the engine decodes it).
pub fn consensus_envelope(r: &peer::SendConsensusMsgRequest) -> Result<&[u8], WireError> {
    bytes_within("SendConsensusMsgRequest.envelope", &r.envelope, MAX_ENVELOPE_LEN)?;
    Ok(&r.envelope)
}

/// The hash a `GetQuorumSet` request asks for.
pub fn quorum_set_query(r: &peer::GetQuorumSetRequest) -> Result<Hash32, WireError> {
    Ok(Hash32(fixed("GetQuorumSetRequest.hash", &r.hash)?))
}

/// The quorum set of a `GetQuorumSet` answer (opaque here; the node decodes it and checks
/// its hash); `None` if the responder knows none.
pub fn quorum_set_answer(r: &peer::GetQuorumSetResponse) -> Result<Option<&[u8]>, WireError> {
    bytes_within("GetQuorumSetResponse.quorum_set", &r.quorum_set, MAX_QUORUM_SET_LEN)?;
    Ok(if r.quorum_set.is_empty() { None } else { Some(&r.quorum_set) })
}

/// The envelopes of a `GetLatestMsg` answer.
pub fn latest_envelopes(r: &peer::GetLatestMsgResponse) -> Result<&[Vec<u8>], WireError> {
    cap("GetLatestMsgResponse.envelopes", &r.envelopes, MAX_LATEST_ENVELOPES)?;
    for e in &r.envelopes {
        bytes_within("GetLatestMsgResponse.envelopes", e, MAX_ENVELOPE_LEN)?;
    }
    Ok(&r.envelopes)
}

/// A `GetTxs` request: transaction bodies by hash, for the caller's peer session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxsQuery {
    /// The caller's peer session.
    pub session: SessionId,
    /// Hashes, 1 to [`MAX_TX_HASHES_PER_REQUEST`].
    pub hashes: Vec<Hash32>,
}

impl TryFrom<&peer::GetTxsRequest> for TxsQuery {
    type Error = WireError;
    fn try_from(r: &peer::GetTxsRequest) -> Result<Self, WireError> {
        count_within("GetTxsRequest.tx_hashes", &r.tx_hashes, MAX_TX_HASHES_PER_REQUEST)?;
        Ok(TxsQuery {
            session: session_id("GetTxsRequest.session_id", &r.session_id)?,
            hashes: r
                .tx_hashes
                .iter()
                .map(|h| Ok(Hash32(fixed("GetTxsRequest.tx_hashes", h)?)))
                .collect::<Result<_, WireError>>()?,
        })
    }
}

impl From<&TxsQuery> for peer::GetTxsRequest {
    fn from(q: &TxsQuery) -> Self {
        peer::GetTxsRequest {
            session_id: q.session.0.0.to_vec(),
            tx_hashes: q.hashes.iter().map(|h| h.0.to_vec()).collect(),
        }
    }
}

/// A `GetTxs` answer: the known transactions encrypted on the caller's session, and the
/// hashes the responder does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxsAnswer {
    /// Channel messages carrying the transactions (empty when none is known).
    pub messages: Vec<ChannelMessage>,
    /// Hashes not known to the responder.
    pub missing: Vec<Hash32>,
}

impl TxsAnswer {
    /// The protobuf answer, with `session` named once.
    pub fn to_pb(&self, session: SessionId) -> peer::GetTxsResponse {
        peer::GetTxsResponse {
            payload: (!self.messages.is_empty()).then(|| payload(session, &self.messages)),
            missing: self.missing.iter().map(|h| h.0.to_vec()).collect(),
        }
    }
}

impl TryFrom<&peer::GetTxsResponse> for TxsAnswer {
    type Error = WireError;
    fn try_from(r: &peer::GetTxsResponse) -> Result<Self, WireError> {
        cap("GetTxsResponse.missing", &r.missing, MAX_TX_HASHES_PER_REQUEST)?;
        Ok(TxsAnswer {
            messages: match &r.payload {
                Some(p) => messages(p)?.1,
                None => Vec::new(),
            },
            missing: r
                .missing
                .iter()
                .map(|h| Ok(Hash32(fixed("GetTxsResponse.missing", h)?)))
                .collect::<Result<_, WireError>>()?,
        })
    }
}
