//! `trait Enclave`: the host's view of an enclave, with ONE entry point
//! ([`Enclave::call_bytes`]: request frame in, reply frame out) and typed helpers built on it.
//! Both backends ([`crate::InProcessEnclave`], [`crate::ProcessEnclave`]) carry the same
//! bytes, so the host code and the tests cannot tell them apart.
//!
//! Every helper returns only host-visible data (see [`crate::host_types`]).

use mcnode_ledger::{Block, BlockData};
use mcnode_tx::TokenId;
use mcnode_types::NodeId;

use crate::call::{EnclaveCall, EnclaveReply, FormBlockInputs, FrameError, InitParams};
use crate::call::{decode_frame, encode_frame};
use crate::channel::{ChannelMessage, SessionId};
use crate::host_types::{
    FormedBlock, Frontier, HighestProof, LocallyEncryptedTx, TxContext, WellFormedEncryptedTx,
    WellFormedQuery, WellFormedTxContext, WellFormedVerdict,
};
use crate::refusal::EnclaveError;

/// Why a call through the boundary failed.
#[derive(Debug, thiserror::Error)]
pub enum BoundaryError {
    /// The transport to the enclave failed (the enclave process died, a pipe broke).
    #[error("enclave transport failed: {0}")]
    Transport(#[from] std::io::Error),
    /// A frame longer than the limit.
    #[error("enclave frame of {len} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// Its length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The enclave's reply does not decode.
    #[error("enclave reply does not decode: {0}")]
    BadReply(#[from] FrameError),
    /// The enclave refused the call.
    #[error("enclave refused: {0}")]
    Refused(#[from] EnclaveError),
    /// The enclave answered with a reply of another kind.
    #[error("enclave answered {got} to a {call} call")]
    UnexpectedReply {
        /// The call.
        call: &'static str,
        /// The reply kind.
        got: &'static str,
    },
}

/// The identity an enclave reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityReport {
    /// Noise static public key.
    pub noise_public: [u8; 32],
    /// Block-signing public key.
    pub block_signer: NodeId,
    /// Canonical evidence bytes.
    pub evidence: Vec<u8>,
}

fn kind(r: &EnclaveReply) -> &'static str {
    match r {
        EnclaveReply::Refused(_) => "Refused",
        EnclaveReply::Initialized { .. } => "Initialized",
        EnclaveReply::Identity { .. } => "Identity",
        EnclaveReply::ClientAccepted { .. } => "ClientAccepted",
        EnclaveReply::Closed { .. } => "Closed",
        EnclaveReply::TxProposed(_) => "TxProposed",
        EnclaveReply::PeerHandshake { .. } => "PeerHandshake",
        EnclaveReply::PeerConnected { .. } => "PeerConnected",
        EnclaveReply::PeerAccepted { .. } => "PeerAccepted",
        EnclaveReply::PeerTxsProposed(_) => "PeerTxsProposed",
        EnclaveReply::WellFormed { .. } => "WellFormed",
        EnclaveReply::ForPeer(_) => "ForPeer",
        EnclaveReply::BlockFormed(_) => "BlockFormed",
        EnclaveReply::MinimumFee(_) => "MinimumFee",
        EnclaveReply::TipAccepted(_) => "TipAccepted",
    }
}

macro_rules! expect {
    ($reply:expr, $call:literal, $pat:pat => $out:expr) => {
        match $reply {
            $pat => Ok($out),
            EnclaveReply::Refused(e) => Err(BoundaryError::Refused(e)),
            other => Err(BoundaryError::UnexpectedReply { call: $call, got: kind(&other) }),
        }
    };
}

/// An enclave as the host sees it.
pub trait Enclave {
    /// The single entry point: one request frame in, one reply frame out.
    fn call_bytes(&mut self, request: &[u8]) -> Result<Vec<u8>, BoundaryError>;

    /// Encodes `call`, crosses the boundary and decodes the reply.
    fn call(&mut self, call: &EnclaveCall) -> Result<EnclaveReply, BoundaryError> {
        let reply = self.call_bytes(&encode_frame(call))?;
        Ok(decode_frame(&reply)?)
    }

    /// `Init`: returns the sealed signing key (to store) and the block-signing public key.
    fn init(&mut self, p: InitParams) -> Result<(Vec<u8>, NodeId), BoundaryError> {
        expect!(self.call(&EnclaveCall::Init(p))?, "Init",
            EnclaveReply::Initialized { sealed_signing_key, block_signer } => (sealed_signing_key, block_signer))
    }

    /// `Identity`.
    fn identity(&mut self) -> Result<IdentityReport, BoundaryError> {
        expect!(self.call(&EnclaveCall::Identity)?, "Identity",
            EnclaveReply::Identity { noise_public, block_signer, evidence } =>
                IdentityReport { noise_public, block_signer, evidence })
    }

    /// `ClientAccept`: session id and NX message 2.
    fn client_accept(&mut self, msg1: Vec<u8>) -> Result<(SessionId, Vec<u8>), BoundaryError> {
        expect!(self.call(&EnclaveCall::ClientAccept { msg1 })?, "ClientAccept",
            EnclaveReply::ClientAccepted { session, msg2 } => (session, msg2))
    }

    /// `ClientClose`.
    fn client_close(&mut self, session: SessionId) -> Result<bool, BoundaryError> {
        expect!(self.call(&EnclaveCall::ClientClose { session })?, "ClientClose",
            EnclaveReply::Closed { was_open } => was_open)
    }

    /// `ClientTxPropose`.
    fn client_tx_propose(&mut self, msgs: Vec<ChannelMessage>) -> Result<TxContext, BoundaryError> {
        expect!(self.call(&EnclaveCall::ClientTxPropose { msgs })?, "ClientTxPropose",
            EnclaveReply::TxProposed(c) => c)
    }

    /// `PeerInit`: XX message 1.
    fn peer_init(&mut self, peer: NodeId) -> Result<Vec<u8>, BoundaryError> {
        expect!(self.call(&EnclaveCall::PeerInit { peer })?, "PeerInit",
            EnclaveReply::PeerHandshake { msg } => msg)
    }

    /// `PeerAccept`: XX message 2.
    fn peer_accept(&mut self, peer: NodeId, msg1: Vec<u8>) -> Result<Vec<u8>, BoundaryError> {
        expect!(self.call(&EnclaveCall::PeerAccept { peer, msg1 })?, "PeerAccept",
            EnclaveReply::PeerHandshake { msg } => msg)
    }

    /// `PeerConnect`: session id, XX message 3 and the peer enclave's attested block-signing
    /// key.
    fn peer_connect(
        &mut self,
        peer: NodeId,
        msg2: Vec<u8>,
        now: u64,
    ) -> Result<(SessionId, Vec<u8>, NodeId), BoundaryError> {
        expect!(self.call(&EnclaveCall::PeerConnect { peer, msg2, now })?, "PeerConnect",
            EnclaveReply::PeerConnected { session, msg3, block_signer } => (session, msg3, block_signer))
    }

    /// `PeerFinish`: session id and the peer enclave's attested block-signing key.
    fn peer_finish(
        &mut self,
        peer: NodeId,
        msg3: Vec<u8>,
        now: u64,
    ) -> Result<(SessionId, NodeId), BoundaryError> {
        expect!(self.call(&EnclaveCall::PeerFinish { peer, msg3, now })?, "PeerFinish",
            EnclaveReply::PeerAccepted { session, block_signer } => (session, block_signer))
    }

    /// `PeerClose`.
    fn peer_close(&mut self, session: SessionId) -> Result<bool, BoundaryError> {
        expect!(self.call(&EnclaveCall::PeerClose { session })?, "PeerClose",
            EnclaveReply::Closed { was_open } => was_open)
    }

    /// `PeerTxPropose`.
    fn peer_tx_propose(
        &mut self,
        msgs: Vec<ChannelMessage>,
    ) -> Result<Vec<TxContext>, BoundaryError> {
        expect!(self.call(&EnclaveCall::PeerTxPropose { msgs })?, "PeerTxPropose",
            EnclaveReply::PeerTxsProposed(c) => c)
    }

    /// `TxsAreWellFormed`: one verdict per transaction, in order (a reply of another length
    /// is an [`BoundaryError::UnexpectedReply`]).
    fn txs_are_well_formed(
        &mut self,
        height: u64,
        txs: Vec<WellFormedQuery>,
    ) -> Result<Vec<WellFormedVerdict>, BoundaryError> {
        let n = txs.len();
        let verdicts = expect!(self.call(&EnclaveCall::TxsAreWellFormed { height, txs })?,
            "TxsAreWellFormed", EnclaveReply::WellFormed(v) => v)?;
        if verdicts.len() != n {
            return Err(BoundaryError::UnexpectedReply {
                call: "TxsAreWellFormed",
                got: "a verdict count other than the transaction count",
            });
        }
        Ok(verdicts)
    }

    /// `TxsAreWellFormed` for one transaction.
    fn tx_is_well_formed(
        &mut self,
        tx: LocallyEncryptedTx,
        height: u64,
        highest: HighestProof,
    ) -> Result<(WellFormedTxContext, WellFormedEncryptedTx), BoundaryError> {
        let mut v = self.txs_are_well_formed(height, vec![WellFormedQuery { tx, highest }])?;
        match v.pop() {
            Some(WellFormedVerdict::WellFormed { context, tx }) => Ok((context, tx)),
            Some(WellFormedVerdict::Refused(e)) => Err(BoundaryError::Refused(e)),
            None => {
                Err(BoundaryError::UnexpectedReply { call: "TxsAreWellFormed", got: "no verdict" })
            }
        }
    }

    /// `TxsForPeer`.
    fn txs_for_peer(
        &mut self,
        session: SessionId,
        txs: Vec<WellFormedEncryptedTx>,
    ) -> Result<Vec<ChannelMessage>, BoundaryError> {
        expect!(self.call(&EnclaveCall::TxsForPeer { session, txs })?, "TxsForPeer",
            EnclaveReply::ForPeer(m) => m)
    }

    /// `FormBlock`: the signed block and the agreed transactions left out (with reasons).
    fn form_block(&mut self, inputs: FormBlockInputs) -> Result<FormedBlock, BoundaryError> {
        expect!(self.call(&EnclaveCall::FormBlock(inputs))?, "FormBlock",
            EnclaveReply::BlockFormed(b) => b)
    }

    /// `MinimumFee`.
    fn minimum_fee(&mut self, token: TokenId) -> Result<Option<u64>, BoundaryError> {
        expect!(self.call(&EnclaveCall::MinimumFee { token })?, "MinimumFee",
            EnclaveReply::MinimumFee(f) => f)
    }

    /// `ShowBlock`: the block after the tracked tip (catch-up) or the origin block; returns
    /// the header now tracked.
    fn show_block(
        &mut self,
        block: BlockData,
        frontier: Option<Frontier>,
    ) -> Result<Block, BoundaryError> {
        expect!(self.call(&EnclaveCall::ShowBlock { block, frontier })?, "ShowBlock",
            EnclaveReply::TipAccepted(b) => b)
    }
}
