//! Established sessions and their transport messages.
//!
//! Wire form of a transport message (canonical encoding):
//! `session_id:[32] counter:u64 ciphertext:bytes(<= MAX_MESSAGE_LEN)`.
//! The counter is the Noise nonce (spec section 5.1, `n`); Noise forbids nonce reuse, and the
//! receiver accepts only counters strictly above the highest it has accepted (replays and
//! reordered messages are refused; gaps are allowed, for lost messages).

use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader, encode_bytes};
use snow::StatelessTransportState;

use super::ChannelError;

/// Largest Noise message (spec section 3).
pub const MAX_MESSAGE_LEN: usize = 65_535;
/// Largest plaintext of one transport message (message minus the 16-byte tag).
pub const MAX_PLAINTEXT_LEN: usize = MAX_MESSAGE_LEN - 16;

/// A session's id: the Noise handshake hash, identical on both ends.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct SessionId(pub Hash32);

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.short())
    }
}

/// One encrypted message on an established session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelMessage {
    /// The session it belongs to.
    pub session: SessionId,
    /// Sender's message counter (the Noise nonce).
    pub counter: u64,
    /// Noise ciphertext (payload + 16-byte tag).
    pub ciphertext: Vec<u8>,
}

impl Encode for ChannelMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.session.0.encode(out);
        self.counter.encode(out);
        encode_bytes(&self.ciphertext, out);
    }
}

impl Decode for ChannelMessage {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ChannelMessage {
            session: SessionId(Hash32::decode(r)?),
            counter: u64::decode(r)?,
            ciphertext: r.bytes(MAX_MESSAGE_LEN as u32)?.to_vec(),
        })
    }
}

/// An established, authenticated session (either end).
pub struct Session {
    id: SessionId,
    transport: StatelessTransportState,
    next_send: u64,
    highest_received: Option<u64>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("next_send", &self.next_send)
            .field("highest_received", &self.highest_received)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(id: SessionId, transport: StatelessTransportState) -> Session {
        Session { id, transport, next_send: 0, highest_received: None }
    }

    /// The session id (the handshake hash).
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// Encrypts `plaintext` as the next message.
    pub fn seal(&mut self, plaintext: &[u8]) -> Result<ChannelMessage, ChannelError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(ChannelError::TooLarge {
                what: "plaintext",
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            });
        }
        // u64::MAX is reserved by the Noise spec (section 5.1).
        if self.next_send == u64::MAX {
            return Err(ChannelError::Exhausted);
        }
        let counter = self.next_send;
        let mut ciphertext = vec![0u8; plaintext.len() + 16];
        let n = self.transport.write_message(counter, plaintext, &mut ciphertext)?;
        ciphertext.truncate(n);
        self.next_send += 1;
        Ok(ChannelMessage { session: self.id, counter, ciphertext })
    }

    /// Authenticates and decrypts `msg`. A refused message leaves the session unchanged.
    pub fn open(&mut self, msg: &ChannelMessage) -> Result<Vec<u8>, ChannelError> {
        if msg.session != self.id {
            return Err(ChannelError::WrongSession { got: msg.session, ours: self.id });
        }
        if let Some(highest) = self.highest_received
            && msg.counter <= highest
        {
            return Err(ChannelError::Replay { counter: msg.counter, highest });
        }
        if msg.counter == u64::MAX {
            return Err(ChannelError::Exhausted);
        }
        if msg.ciphertext.len() > MAX_MESSAGE_LEN {
            return Err(ChannelError::TooLarge {
                what: "message",
                len: msg.ciphertext.len(),
                max: MAX_MESSAGE_LEN,
            });
        }
        let mut plaintext = vec![0u8; msg.ciphertext.len()];
        let n = self
            .transport
            .read_message(msg.counter, &msg.ciphertext, &mut plaintext)
            .map_err(|_| ChannelError::Forged)?;
        plaintext.truncate(n);
        self.highest_received = Some(msg.counter);
        Ok(plaintext)
    }

    /// Decodes a wire message and opens it.
    pub fn open_bytes(&mut self, bytes: &[u8]) -> Result<Vec<u8>, ChannelError> {
        self.open(&ChannelMessage::from_canonical_bytes(bytes)?)
    }
}
