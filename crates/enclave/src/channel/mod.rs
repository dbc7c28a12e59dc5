//! Attested Noise channels (Noise Protocol Framework, revision 34; `snow` 0.10).
//!
//! - Client -> enclave: `Noise_NX_25519_ChaChaPoly_BLAKE2s` (NX, section 7.4 of the Noise
//!   spec): the client is anonymous, the enclave sends its static key encrypted in message 2 and
//!   its evidence as message 2's payload. [`ClientHandshake`] / [`accept_client`].
//! - Enclave <-> enclave: `Noise_XX_25519_ChaChaPoly_BLAKE2s` (XX): both statics and both
//!   evidence payloads travel encrypted (message 2: responder, message 3: initiator), unlike IX
//!   whose first message is cleartext. [`PeerInitiator`] / [`PeerResponder`].
//! - Both sides check that the Noise static key they saw equals `noise_static` in the other's
//!   evidence (`Expected::noise_static`). MobileCoin's IX responder lost this check in 2023;
//!   the tests replay genuine evidence with another static key in both directions.
//! - The prologue (spec section 6) binds protocol version, channel kind, chain id and
//!   configuration digest: nodes or clients configured differently fail the handshake.
//! - The handshake hash (spec section 11.2, channel binding) is the [`SessionId`].
//! - Transport messages carry an explicit counter used as the Noise nonce; a receiver accepts
//!   only counters above the highest it accepted, so replays and reordering are refused and a
//!   forged message fails authentication without changing the session state.
//!
//! Randomness: `snow` draws ephemeral keys from its resolver's RNG. [`resolver`] gives each
//! handshake a ChaCha20 RNG seeded with 32 bytes the caller passes in, so nothing here touches
//! the OS RNG and tests are deterministic.

mod handshake;
pub mod resolver;
mod session;
mod table;

pub use handshake::{ClientHandshake, PeerInitiator, PeerResponder, accept_client};
pub use session::{ChannelMessage, MAX_MESSAGE_LEN, MAX_PLAINTEXT_LEN, Session, SessionId};
pub use table::{SessionLimits, Sessions};

use mcnode_attest::{EvidenceDecodeError, Refusal};
use mcnode_types::{DecodeError, Encode, Hash32, NodeId, encode_bytes};

/// Version of the channel protocol, bound into every prologue.
pub const PROTOCOL_VERSION: u16 = 1;

/// Noise pattern of client -> enclave channels.
pub const CLIENT_PATTERN: &str = "Noise_NX_25519_ChaChaPoly_BLAKE2s";
/// Noise pattern of enclave <-> enclave channels.
pub const PEER_PATTERN: &str = "Noise_XX_25519_ChaChaPoly_BLAKE2s";

/// What both ends of a channel must agree on; bound into the prologue and checked against the
/// evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Channel protocol version.
    pub protocol_version: u16,
    /// The chain's id.
    pub chain_id: String,
    /// Digest of the consensus configuration.
    pub config_digest: Hash32,
}

impl ChannelConfig {
    /// A configuration with the current [`PROTOCOL_VERSION`].
    pub fn new(chain_id: &str, config_digest: Hash32) -> ChannelConfig {
        ChannelConfig {
            protocol_version: PROTOCOL_VERSION,
            chain_id: chain_id.to_owned(),
            config_digest,
        }
    }

    /// The Noise prologue for a channel of `kind` (`b"client"` or `b"peer"`).
    pub(crate) fn prologue(&self, kind: &[u8]) -> Vec<u8> {
        let mut out = b"mcnode-noise".to_vec();
        encode_bytes(kind, &mut out);
        self.protocol_version.encode(&mut out);
        encode_bytes(self.chain_id.as_bytes(), &mut out);
        self.config_digest.encode(&mut out);
        out
    }
}

/// Why a channel operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The Noise layer refused (bad message, failed decryption, wrong state).
    #[error("noise: {0}")]
    Noise(#[from] snow::Error),
    /// The peer's handshake payload is not evidence.
    #[error("handshake payload is not evidence: {0}")]
    Evidence(#[from] EvidenceDecodeError),
    /// The peer's evidence failed verification.
    #[error(transparent)]
    Attestation(#[from] Refusal),
    /// The Noise handshake finished without a remote static key.
    #[error("handshake did not reveal the remote static key")]
    NoRemoteStatic,
    /// A message or plaintext above the size limit.
    #[error("{what} of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A transport message that does not decode.
    #[error("malformed channel message: {0}")]
    Malformed(#[from] DecodeError),
    /// A message for another session.
    #[error("message for session {got}, this is session {ours}")]
    WrongSession {
        /// Session named in the message.
        got: SessionId,
        /// This session.
        ours: SessionId,
    },
    /// A counter at or below the highest already accepted.
    #[error("replayed or reordered message: counter {counter}, highest accepted {highest}")]
    Replay {
        /// The message's counter.
        counter: u64,
        /// Highest counter accepted so far.
        highest: u64,
    },
    /// The message failed authentication (forged or corrupted).
    #[error("message failed authentication")]
    Forged,
    /// The session has used every nonce.
    #[error("session exhausted its nonces; open a new one")]
    Exhausted,
    /// No open session with this id.
    #[error("no session {id}")]
    UnknownSession {
        /// The id.
        id: SessionId,
    },
    /// No pending handshake with this peer.
    #[error("no pending handshake with peer {peer}")]
    NoPendingHandshake {
        /// The peer.
        peer: NodeId,
    },
    /// A pending handshake in the other role.
    #[error("pending handshake with peer {peer} is in the other role")]
    WrongRole {
        /// The peer.
        peer: NodeId,
    },
    /// The peer's evidence verified, but the node id it attests is not the node id the host
    /// named: a genuine enclave presenting itself as another node.
    #[error("peer named {named} attests node id {attested}")]
    PeerIdMismatch {
        /// The node id the host named.
        named: NodeId,
        /// The node id in the peer's verified claims.
        attested: NodeId,
    },
}
