//! The flooding-dedup key of a received message: its signer's node id and its signature, read
//! straight from the wire bytes, without decoding or hashing them.
//!
//! Flooding brings every message back once per peer, so the key is computed for every copy;
//! it used to be SHA-256 of the whole envelope (a third of the simulator's time). This key
//! costs a bounds check and a 96-byte copy, whatever the size of the statement.
//!
//! # Why it is as strong as a digest of the bytes
//! Only messages that decoded canonically and whose signature verified (or own ones) are
//! remembered, so a remembered key names one signed (chain id, slot, previous block,
//! statement) tuple: signatures are checked with `verify_strict` (canonical `s`, no weak keys),
//! under which one (key, signature) pair verifies for a single message digest unless SHA-512
//! collides. So:
//! - A copy with the genuine signature but other contents (or another claimed signer) cannot
//!   suppress the genuine message: it fails verification and is never remembered; if it comes
//!   after the genuine message it is dropped as a duplicate, which it would have been anyway
//!   (it fails verification).
//! - A signer cannot give two different statements the same key (that would be a signature
//!   valid for two digests).
//! - A key that matches no signed message (an unsigned or malformed tail) is never remembered.
//!
//! The key is not secret and not random; the `HashMap` holding keys uses the standard library's
//! randomly keyed SipHash, so keys cannot be chosen to collide in its buckets.

use super::envelope::MAX_CHAIN_ID_LEN;

/// Bytes in a key: node id (32) then signature (64).
const KEY_LEN: usize = 96;

/// A message's dedup key: (signer node id, signature).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct SeenKey([u8; KEY_LEN]);

impl std::fmt::Debug for SeenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SeenKey({:02x}{:02x}..)", self.0[0], self.0[32])
    }
}

#[cfg(test)]
impl SeenKey {
    /// A distinct key per `i` (tests of the memory bound).
    pub(super) fn numbered(i: u64) -> SeenKey {
        let mut key = [0u8; KEY_LEN];
        key[..8].copy_from_slice(&i.to_be_bytes());
        SeenKey(key)
    }
}

/// The key of `wire`, an envelope's canonical bytes: `chain_id` (u32 big-endian length, then
/// the bytes) ‖ `prev_block` (32) ‖ statement, which starts with `node_id` (32) ‖ `Some` tag (1)
/// ‖ signature (64), the last field. `None` when the bytes cannot be a signed envelope.
pub(super) fn seen_key(wire: &[u8]) -> Option<SeenKey> {
    let len: [u8; 4] = wire.get(..4)?.try_into().ok()?;
    let chain_len = u32::from_be_bytes(len);
    if chain_len > MAX_CHAIN_ID_LEN {
        return None;
    }
    let node_at = 4 + chain_len as usize + 32;
    let node = wire.get(node_at..node_at + 32)?;
    let sig_at = wire.len().checked_sub(64)?;
    // The Option tag must come after the node id: a well-formed statement is longer.
    if sig_at <= node_at + 32 || wire.get(sig_at - 1) != Some(&1) {
        return None;
    }
    let mut key = [0u8; KEY_LEN];
    key[..32].copy_from_slice(node);
    key[32..].copy_from_slice(wire.get(sig_at..)?);
    Some(SeenKey(key))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mcnode_crypto::SigningIdentity;
    use mcnode_ledger::block::BlockId;
    use mcnode_scp::{Pledge, Statement, TxHashSet};
    use mcnode_types::{Encode, Hash32, NodeId};

    use super::*;
    use crate::engine::envelope::ScpEnvelope;

    fn envelope(chain: &str, values: &[u8]) -> ScpEnvelope {
        let key = SigningIdentity::from_seed(&[5; 32]);
        let set = TxHashSet::from_hashes(values.iter().map(|v| Hash32([*v; 32])));
        let st = Statement {
            node_id: NodeId(key.verifying().to_bytes()),
            slot: 3,
            quorum_set_hash: Hash32([4; 32]),
            pledge: Pledge::Nominate(mcnode_scp::Nominate { votes: vec![set], accepted: vec![] }),
        };
        ScpEnvelope::sign(&key, chain, BlockId(Hash32([6; 32])), st)
    }

    #[test]
    fn the_key_is_the_signer_and_signature_the_decoder_reads() {
        for chain in ["", "c", "a-longer-chain-id"] {
            for values in [&[][..], &[1][..], &[1, 2, 3]] {
                let env = envelope(chain, values);
                let k = seen_key(&env.to_canonical_bytes()).unwrap();
                assert_eq!(k.0[..32], env.statement.node_id.0);
                assert_eq!(k.0[32..], env.signature.unwrap().0);
            }
        }
    }

    #[test]
    fn bytes_that_cannot_be_a_signed_envelope_have_no_key() {
        let mut unsigned = envelope("c", &[1]);
        unsigned.signature = None;
        assert!(seen_key(&unsigned.to_canonical_bytes()).is_none());
        assert!(seen_key(&[]).is_none());
        assert!(seen_key(&[0, 0, 0]).is_none());
        // A chain id longer than the decoder accepts.
        let mut long = envelope("c", &[1]).to_canonical_bytes();
        long[..4].copy_from_slice(&(MAX_CHAIN_ID_LEN + 1).to_be_bytes());
        assert!(seen_key(&long).is_none());
        // Just a length, an id and a node id: no room for the tag and the signature.
        let short = [&[0u8, 0, 0, 0][..], &[7; 64], &[1], &[9; 63]].concat();
        assert!(seen_key(&short).is_none());
    }
}
