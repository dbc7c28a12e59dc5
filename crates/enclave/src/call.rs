//! The enclave's single entry point: one serialized, versioned request ([`EnclaveCall`]) and one
//! reply ([`EnclaveReply`]), as a hardware enclave's one ECALL would carry (MobileCoin
//! `consensus/enclave/api/src/messages.rs`, which CBOR-encodes a call enum through
//! `mobileenclave_call`; here the canonical `mcnode-types` encoding is used, so every request
//! has exactly one accepted encoding).
//!
//! Frame: `version:u16 (CALL_VERSION) || tag:u8 || fields`. A request of another version is
//! refused with [`EnclaveError::UnsupportedVersion`]; anything that does not decode, with
//! [`EnclaveError::MalformedCall`]. Replies carry the same version prefix.
//!
//! Time comes from the host (`now` fields, Unix seconds: untrusted, as on real TEEs); the
//! enclave's randomness does NOT come from the host (the host would then know the cache keys):
//! the enclave runtime passes it to the trusted core beside the request (see
//! [`crate::trusted::TrustedEnclave::handle`]).

use mcnode_ledger::{Block, BlockData};
use mcnode_tx::TokenId;
use mcnode_types::{Decode, DecodeError, Encode, Hash32, NodeId, Reader, encode_bytes};

pub use crate::call_params::{
    CONFIG_DIGEST_DOMAIN, FormBlockInputs, InitParams, MAX_CHAIN_ID_LEN, MAX_EVIDENCE_LEN,
    MAX_RING_ROOTS, MAX_SEALED_LEN, MAX_TOKENS, NODE_ID_PROOF_DOMAIN, config_digest, node_id_proof,
    node_id_proof_message,
};
use crate::channel::{ChannelMessage, MAX_MESSAGE_LEN, SessionId};
use crate::chunks::MAX_CHUNKS;
use crate::host_types::{
    FormedBlock, Frontier, MAX_TXS_PER_CALL, MAX_WELL_FORMED_PER_CALL, TxContext,
    WellFormedEncryptedTx, WellFormedQuery, WellFormedVerdict,
};
use crate::refusal::EnclaveError;

/// Version of the call protocol.
pub const CALL_VERSION: u16 = 3;

/// A request to the enclave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnclaveCall {
    /// Start: configuration and (optionally) the sealed signing key.
    Init(InitParams),
    /// Noise static key, block-signing key and evidence.
    Identity,
    /// A client's NX message 1.
    ClientAccept {
        /// Message 1.
        msg1: Vec<u8>,
    },
    /// Close a client session.
    ClientClose {
        /// The session.
        session: SessionId,
    },
    /// A client's encrypted [`crate::host_types::ProposedTx`], in one or more consecutive
    /// messages ([`crate::chunks`]).
    ClientTxPropose {
        /// The channel messages.
        msgs: Vec<ChannelMessage>,
    },
    /// Start a handshake to a peer (XX message 1 out). In every peer call `peer` is the node id
    /// (message-signing key) the host means: the peer's verified evidence must name it.
    PeerInit {
        /// The peer.
        peer: NodeId,
    },
    /// Answer a peer's handshake (XX message 1 in, message 2 out).
    PeerAccept {
        /// The peer.
        peer: NodeId,
        /// Message 1.
        msg1: Vec<u8>,
    },
    /// Initiator: read message 2, verify the peer, message 3 out.
    PeerConnect {
        /// The peer.
        peer: NodeId,
        /// Message 2.
        msg2: Vec<u8>,
        /// Host time, for evidence expiry.
        now: u64,
    },
    /// Responder: read message 3, verify the peer.
    PeerFinish {
        /// The peer.
        peer: NodeId,
        /// Message 3.
        msg3: Vec<u8>,
        /// Host time.
        now: u64,
    },
    /// Close a peer session.
    PeerClose {
        /// The session.
        session: SessionId,
    },
    /// Transactions relayed by a peer enclave.
    PeerTxPropose {
        /// The channel messages.
        msgs: Vec<ChannelMessage>,
    },
    /// Validate cached transactions at ledger `height`, each with the host's proof of its
    /// highest ring member, together (their range proofs in one batch); one verdict each, in
    /// order. A transaction is judged as if it were alone: two that spend one key image are
    /// both well formed (a block takes one).
    TxsAreWellFormed {
        /// Current number of blocks.
        height: u64,
        /// The transactions (at most [`MAX_WELL_FORMED_PER_CALL`]).
        txs: Vec<WellFormedQuery>,
    },
    /// Re-encrypt well-formed transactions for a peer session.
    TxsForPeer {
        /// The peer session.
        session: SessionId,
        /// The transactions.
        txs: Vec<WellFormedEncryptedTx>,
    },
    /// Form and sign the next block.
    FormBlock(FormBlockInputs),
    /// The configured minimum fee of a token.
    MinimumFee {
        /// The token.
        token: TokenId,
    },
    /// Show the enclave the block after the tip it tracks (catch-up), or the origin block if it
    /// tracks none. The block must link to the tip (parent id, index, output count, contents
    /// hash, output-tree root from `frontier` + its outputs, id) and carry a signature by this
    /// enclave or an attested peer enclave (an origin block needs none).
    ShowBlock {
        /// The block, with its contents and signatures.
        block: BlockData,
        /// Right edge of the tree at the tracked tip (`None` if it has no outputs).
        frontier: Option<Frontier>,
    },
}

/// The enclave's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnclaveReply {
    /// The call was refused.
    Refused(EnclaveError),
    /// `Init` done.
    Initialized {
        /// The block-signing key, sealed (store it; pass it to the next `Init`).
        sealed_signing_key: Vec<u8>,
        /// The block-signing public key.
        block_signer: NodeId,
    },
    /// `Identity`.
    Identity {
        /// Noise static public key.
        noise_public: [u8; 32],
        /// Block-signing public key.
        block_signer: NodeId,
        /// Canonical evidence bytes.
        evidence: Vec<u8>,
    },
    /// `ClientAccept`.
    ClientAccepted {
        /// The new session.
        session: SessionId,
        /// NX message 2.
        msg2: Vec<u8>,
    },
    /// `ClientClose` / `PeerClose`.
    Closed {
        /// Whether the session was open.
        was_open: bool,
    },
    /// `ClientTxPropose`.
    TxProposed(TxContext),
    /// `PeerInit` / `PeerAccept`: the handshake message to send.
    PeerHandshake {
        /// The message.
        msg: Vec<u8>,
    },
    /// `PeerConnect`.
    PeerConnected {
        /// The new session.
        session: SessionId,
        /// XX message 3.
        msg3: Vec<u8>,
        /// The peer enclave's block-signing key, from its verified evidence.
        block_signer: NodeId,
    },
    /// `PeerFinish`.
    PeerAccepted {
        /// The new session.
        session: SessionId,
        /// The peer enclave's block-signing key, from its verified evidence.
        block_signer: NodeId,
    },
    /// `PeerTxPropose`.
    PeerTxsProposed(Vec<TxContext>),
    /// `TxsAreWellFormed`: one verdict per transaction, in order.
    WellFormed(Vec<WellFormedVerdict>),
    /// `TxsForPeer`: consecutive messages to send.
    ForPeer(Vec<ChannelMessage>),
    /// `FormBlock`: header, contents and this enclave's signature, and what was left out.
    BlockFormed(FormedBlock),
    /// `MinimumFee` (`None`: token not configured).
    MinimumFee(Option<u64>),
    /// `ShowBlock`: the header the enclave now tracks as its tip.
    TipAccepted(Block),
}

fn bytes(r: &mut Reader<'_>, max: u32) -> Result<Vec<u8>, DecodeError> {
    Ok(r.bytes(max)?.to_vec())
}

fn session(r: &mut Reader<'_>) -> Result<SessionId, DecodeError> {
    Ok(SessionId(Hash32::decode(r)?))
}

const HS: u32 = MAX_MESSAGE_LEN as u32;

impl Encode for EnclaveCall {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            EnclaveCall::Init(p) => {
                out.push(0);
                p.encode(out);
            }
            EnclaveCall::Identity => out.push(1),
            EnclaveCall::ClientAccept { msg1 } => {
                out.push(2);
                encode_bytes(msg1, out);
            }
            EnclaveCall::ClientClose { session } => {
                out.push(3);
                session.0.encode(out);
            }
            EnclaveCall::ClientTxPropose { msgs } => {
                out.push(4);
                msgs.encode(out);
            }
            EnclaveCall::PeerInit { peer } => {
                out.push(5);
                peer.encode(out);
            }
            EnclaveCall::PeerAccept { peer, msg1 } => {
                out.push(6);
                peer.encode(out);
                encode_bytes(msg1, out);
            }
            EnclaveCall::PeerConnect { peer, msg2, now } => {
                out.push(7);
                peer.encode(out);
                encode_bytes(msg2, out);
                now.encode(out);
            }
            EnclaveCall::PeerFinish { peer, msg3, now } => {
                out.push(8);
                peer.encode(out);
                encode_bytes(msg3, out);
                now.encode(out);
            }
            EnclaveCall::PeerClose { session } => {
                out.push(9);
                session.0.encode(out);
            }
            EnclaveCall::PeerTxPropose { msgs } => {
                out.push(10);
                msgs.encode(out);
            }
            EnclaveCall::TxsAreWellFormed { height, txs } => {
                out.push(11);
                height.encode(out);
                txs.encode(out);
            }
            EnclaveCall::TxsForPeer { session, txs } => {
                out.push(12);
                session.0.encode(out);
                txs.encode(out);
            }
            EnclaveCall::FormBlock(inputs) => {
                out.push(13);
                inputs.encode(out);
            }
            EnclaveCall::MinimumFee { token } => {
                out.push(14);
                token.encode(out);
            }
            EnclaveCall::ShowBlock { block, frontier } => {
                out.push(15);
                block.encode(out);
                frontier.encode(out);
            }
        }
    }
}

impl Decode for EnclaveCall {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u8::decode(r)? {
            0 => EnclaveCall::Init(InitParams::decode(r)?),
            1 => EnclaveCall::Identity,
            2 => EnclaveCall::ClientAccept { msg1: bytes(r, HS)? },
            3 => EnclaveCall::ClientClose { session: session(r)? },
            4 => EnclaveCall::ClientTxPropose { msgs: r.seq(MAX_CHUNKS)? },
            5 => EnclaveCall::PeerInit { peer: NodeId::decode(r)? },
            6 => EnclaveCall::PeerAccept { peer: NodeId::decode(r)?, msg1: bytes(r, HS)? },
            7 => EnclaveCall::PeerConnect {
                peer: NodeId::decode(r)?,
                msg2: bytes(r, HS)?,
                now: u64::decode(r)?,
            },
            8 => EnclaveCall::PeerFinish {
                peer: NodeId::decode(r)?,
                msg3: bytes(r, HS)?,
                now: u64::decode(r)?,
            },
            9 => EnclaveCall::PeerClose { session: session(r)? },
            10 => EnclaveCall::PeerTxPropose { msgs: r.seq(MAX_CHUNKS)? },
            11 => EnclaveCall::TxsAreWellFormed {
                height: u64::decode(r)?,
                txs: r.seq(MAX_WELL_FORMED_PER_CALL)?,
            },
            12 => EnclaveCall::TxsForPeer { session: session(r)?, txs: r.seq(MAX_TXS_PER_CALL)? },
            13 => EnclaveCall::FormBlock(FormBlockInputs::decode(r)?),
            14 => EnclaveCall::MinimumFee { token: TokenId::decode(r)? },
            15 => EnclaveCall::ShowBlock {
                block: BlockData::decode(r)?,
                frontier: Option::<Frontier>::decode(r)?,
            },
            tag => return Err(DecodeError::InvalidTag { what: "enclave call", tag }),
        })
    }
}

impl Encode for EnclaveReply {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            EnclaveReply::Refused(e) => {
                out.push(0);
                e.encode(out);
            }
            EnclaveReply::Initialized { sealed_signing_key, block_signer } => {
                out.push(1);
                encode_bytes(sealed_signing_key, out);
                block_signer.encode(out);
            }
            EnclaveReply::Identity { noise_public, block_signer, evidence } => {
                out.push(2);
                noise_public.encode(out);
                block_signer.encode(out);
                encode_bytes(evidence, out);
            }
            EnclaveReply::ClientAccepted { session, msg2 } => {
                out.push(3);
                session.0.encode(out);
                encode_bytes(msg2, out);
            }
            EnclaveReply::Closed { was_open } => {
                out.push(4);
                was_open.encode(out);
            }
            EnclaveReply::TxProposed(c) => {
                out.push(5);
                c.encode(out);
            }
            EnclaveReply::PeerHandshake { msg } => {
                out.push(6);
                encode_bytes(msg, out);
            }
            EnclaveReply::PeerConnected { session, msg3, block_signer } => {
                out.push(7);
                session.0.encode(out);
                encode_bytes(msg3, out);
                block_signer.encode(out);
            }
            EnclaveReply::PeerAccepted { session, block_signer } => {
                out.push(8);
                session.0.encode(out);
                block_signer.encode(out);
            }
            EnclaveReply::PeerTxsProposed(cs) => {
                out.push(9);
                cs.encode(out);
            }
            EnclaveReply::WellFormed(verdicts) => {
                out.push(10);
                verdicts.encode(out);
            }
            EnclaveReply::ForPeer(m) => {
                out.push(11);
                m.encode(out);
            }
            EnclaveReply::BlockFormed(b) => {
                out.push(12);
                b.encode(out);
            }
            EnclaveReply::MinimumFee(f) => {
                out.push(13);
                f.encode(out);
            }
            EnclaveReply::TipAccepted(b) => {
                out.push(14);
                b.encode(out);
            }
        }
    }
}

impl Decode for EnclaveReply {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match u8::decode(r)? {
            0 => EnclaveReply::Refused(EnclaveError::decode(r)?),
            1 => EnclaveReply::Initialized {
                sealed_signing_key: bytes(r, MAX_SEALED_LEN)?,
                block_signer: NodeId::decode(r)?,
            },
            2 => EnclaveReply::Identity {
                noise_public: r.array()?,
                block_signer: NodeId::decode(r)?,
                evidence: bytes(r, MAX_EVIDENCE_LEN)?,
            },
            3 => EnclaveReply::ClientAccepted { session: session(r)?, msg2: bytes(r, HS)? },
            4 => EnclaveReply::Closed { was_open: bool::decode(r)? },
            5 => EnclaveReply::TxProposed(TxContext::decode(r)?),
            6 => EnclaveReply::PeerHandshake { msg: bytes(r, HS)? },
            7 => EnclaveReply::PeerConnected {
                session: session(r)?,
                msg3: bytes(r, HS)?,
                block_signer: NodeId::decode(r)?,
            },
            8 => EnclaveReply::PeerAccepted {
                session: session(r)?,
                block_signer: NodeId::decode(r)?,
            },
            9 => EnclaveReply::PeerTxsProposed(r.seq(MAX_TXS_PER_CALL)?),
            10 => EnclaveReply::WellFormed(r.seq(MAX_WELL_FORMED_PER_CALL)?),
            11 => EnclaveReply::ForPeer(r.seq(MAX_CHUNKS)?),
            12 => EnclaveReply::BlockFormed(FormedBlock::decode(r)?),
            13 => EnclaveReply::MinimumFee(Option::<u64>::decode(r)?),
            14 => EnclaveReply::TipAccepted(Block::decode(r)?),
            tag => return Err(DecodeError::InvalidTag { what: "enclave reply", tag }),
        })
    }
}

/// Why a frame does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Another protocol version.
    #[error("frame version {got}, expected {expected}")]
    Version {
        /// Version in the frame.
        got: u16,
        /// Ours.
        expected: u16,
    },
    /// The body does not decode.
    #[error("malformed frame: {0}")]
    Malformed(#[from] DecodeError),
}

/// `version || value`.
pub fn encode_frame<T: Encode>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    CALL_VERSION.encode(&mut out);
    value.encode(&mut out);
    out
}

/// Decodes `version || value`, refusing other versions and trailing bytes.
pub fn decode_frame<T: Decode>(bytes: &[u8]) -> Result<T, FrameError> {
    let mut r = Reader::new(bytes);
    let version = u16::decode(&mut r)?;
    if version != CALL_VERSION {
        return Err(FrameError::Version { got: version, expected: CALL_VERSION });
    }
    let v = T::decode(&mut r)?;
    r.finish()?;
    Ok(v)
}
