//! Encrypted payloads: consecutive [`ChannelMessage`]s of one attested session (see
//! `mcnode_enclave::chunks`) to and from `mcnode.common.v1.EncryptedPayload`, which names the
//! session once.

use mcnode_enclave::channel::{ChannelMessage, MAX_MESSAGE_LEN, SessionId};
use mcnode_enclave::chunks::MAX_CHUNKS;
use mcnode_types::Hash32;

use crate::error::{WireError, cap, fixed};
use crate::pb::common::v1 as pb;

/// A session id from its 32 bytes.
pub fn session_id(field: &'static str, b: &[u8]) -> Result<SessionId, WireError> {
    Ok(SessionId(Hash32(fixed(field, b)?)))
}

/// The payload of `messages`, which must all belong to `session` (they do when they come from
/// one `seal_chunks` call).
pub fn payload(session: SessionId, messages: &[ChannelMessage]) -> pb::EncryptedPayload {
    pb::EncryptedPayload {
        session_id: session.0.0.to_vec(),
        chunks: messages
            .iter()
            .map(|m| pb::ChannelChunk { counter: m.counter, ciphertext: m.ciphertext.clone() })
            .collect(),
    }
}

/// The channel messages of a payload: 1 to [`MAX_CHUNKS`] chunks, each ciphertext at most
/// [`MAX_MESSAGE_LEN`] bytes. Order is kept (the enclave refuses reordered chunks).
pub fn messages(p: &pb::EncryptedPayload) -> Result<(SessionId, Vec<ChannelMessage>), WireError> {
    let session = session_id("EncryptedPayload.session_id", &p.session_id)?;
    if p.chunks.is_empty() {
        return Err(WireError::Empty { field: "EncryptedPayload.chunks" });
    }
    cap("EncryptedPayload.chunks", &p.chunks, MAX_CHUNKS as usize)?;
    let msgs = p
        .chunks
        .iter()
        .map(|c| {
            if c.ciphertext.len() > MAX_MESSAGE_LEN {
                return Err(WireError::TooLong {
                    field: "ChannelChunk.ciphertext",
                    got: c.ciphertext.len(),
                    max: MAX_MESSAGE_LEN,
                });
            }
            Ok(ChannelMessage { session, counter: c.counter, ciphertext: c.ciphertext.clone() })
        })
        .collect::<Result<_, _>>()?;
    Ok((session, msgs))
}
