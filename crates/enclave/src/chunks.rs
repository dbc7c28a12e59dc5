//! Payloads larger than one Noise transport message (65,519 bytes of plaintext): a
//! transaction with 16 inputs and its 176 ring proofs can exceed it. The sender splits the
//! plaintext into consecutive messages of one session; the receiver opens them in order (each
//! authenticated, counters strictly increasing, so the host cannot reorder or replay them)
//! and concatenates. The payload decoders require the exact length, so a dropped chunk makes
//! the payload malformed.

use crate::channel::{ChannelError, ChannelMessage, MAX_PLAINTEXT_LEN, Session};

/// Most messages one payload may span (about 4 MiB).
pub const MAX_CHUNKS: u32 = 64;

/// Seals `plaintext` as consecutive messages of `session` (at least one).
pub fn seal_chunks(
    session: &mut Session,
    plaintext: &[u8],
) -> Result<Vec<ChannelMessage>, ChannelError> {
    if plaintext.is_empty() {
        return Ok(vec![session.seal(&[])?]);
    }
    plaintext.chunks(MAX_PLAINTEXT_LEN).map(|c| session.seal(c)).collect()
}

/// Opens consecutive messages with `open` and concatenates their plaintexts.
pub fn open_chunks(
    msgs: &[ChannelMessage],
    mut open: impl FnMut(&ChannelMessage) -> Result<Vec<u8>, ChannelError>,
) -> Result<Vec<u8>, ChannelError> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&open(m)?);
    }
    Ok(out)
}
