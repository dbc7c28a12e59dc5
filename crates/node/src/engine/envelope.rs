//! Signed SCP envelopes: what one node sends another about consensus, and why a received one is
//! dropped before the SCP core sees it.
//!
//! Wire form (canonical `mcnode-types` encoding): `chain_id: bytes ‖ prev_block: Hash32 ‖
//! statement ‖ signature: Option<[u8; 64]>`. The signature is Ed25519 by the statement's sender
//! (`statement.node_id` is its public message key) over
//! `Hash32::digest(SCP_ENVELOPE_DOMAIN, chain_id ‖ slot ‖ prev_block ‖ statement)`, i.e. over
//! (chain id, slot, previous block id, statement) as DESIGN.md asks. MobileCoin signs
//! `(scp_msg, prev_block_id)` with the node's message key (`peers/src/consensus_msg.rs`); we add
//! the chain id so a message of one network is never accepted by another.
//!
//! The signature is an `Option` on the wire so that an unsigned message decodes and is counted
//! as [`DropCause::Unsigned`] rather than as malformed.

use std::sync::Arc;

use mcnode_crypto::{Ed25519Signature, SigningIdentity, VerifyingIdentity};
use mcnode_ledger::block::BlockId;
use mcnode_scp::{Statement, TxHashSet};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, NodeId, Reader, encode_bytes};

use super::auth::MessageAuth;

/// Domain tag of the message an envelope signature signs.
pub const SCP_ENVELOPE_DOMAIN: &[u8] = b"mcnode-scp-envelope-v1";
/// Longest chain id accepted on the wire.
pub const MAX_CHAIN_ID_LEN: u32 = 64;

/// Bytes as sent to peers; shared so that a broadcast does not copy them per peer.
pub type Wire = Arc<[u8]>;

/// One SCP statement bound to a chain and a parent block, signed by its sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScpEnvelope {
    /// The network's chain id.
    pub chain_id: String,
    /// Id of the block the statement's slot extends (the sender's ledger tip).
    pub prev_block: BlockId,
    /// The statement; `statement.node_id` is the signer.
    pub statement: Statement<TxHashSet>,
    /// Ed25519 signature over [`ScpEnvelope::signed_message`]; `None` if unsigned.
    pub signature: Option<Ed25519Signature>,
}

/// Why a signature check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureCheck {
    /// No signature at all.
    #[error("unsigned")]
    Unsigned,
    /// The sender's node id is not an Ed25519 public key.
    #[error("sender {sender} is not an Ed25519 key")]
    BadSender {
        /// The claimed sender.
        sender: NodeId,
    },
    /// The signature does not verify for the claimed sender.
    #[error("signature does not verify for {sender}")]
    BadSignature {
        /// The claimed sender.
        sender: NodeId,
    },
}

impl ScpEnvelope {
    /// The digest the sender signs: (chain id, slot, previous block id, statement).
    pub fn signed_message(
        chain_id: &str,
        prev_block: &BlockId,
        statement: &Statement<TxHashSet>,
    ) -> Hash32 {
        let mut buf = Vec::with_capacity(256);
        encode_bytes(chain_id.as_bytes(), &mut buf);
        statement.slot.encode(&mut buf);
        prev_block.0.encode(&mut buf);
        statement.encode(&mut buf);
        Hash32::digest(SCP_ENVELOPE_DOMAIN, &buf)
    }

    /// Signs `statement` with `key` (deterministic Ed25519: the same inputs give the same bytes).
    pub fn sign(
        key: &SigningIdentity,
        chain_id: &str,
        prev_block: BlockId,
        statement: Statement<TxHashSet>,
    ) -> ScpEnvelope {
        let msg = Self::signed_message(chain_id, &prev_block, &statement);
        let signature = Some(key.sign(msg.as_bytes()));
        ScpEnvelope { chain_id: chain_id.to_owned(), prev_block, statement, signature }
    }

    /// Signs `statement` as `auth`'s node (the engine signs this way; [`ScpEnvelope::sign`]
    /// is the same with [`super::auth::Ed25519Auth`]).
    pub fn sign_with(
        auth: &dyn MessageAuth,
        chain_id: &str,
        prev_block: BlockId,
        statement: Statement<TxHashSet>,
    ) -> ScpEnvelope {
        let msg = Self::signed_message(chain_id, &prev_block, &statement);
        let signature = Some(auth.sign(&msg));
        ScpEnvelope { chain_id: chain_id.to_owned(), prev_block, statement, signature }
    }

    /// Checks the signature against the sender named in the statement, with `auth`'s rules.
    pub fn verify_with(&self, auth: &dyn MessageAuth) -> Result<(), SignatureCheck> {
        let sig = self.signature.as_ref().ok_or(SignatureCheck::Unsigned)?;
        let msg = Self::signed_message(&self.chain_id, &self.prev_block, &self.statement);
        auth.verify(&self.statement.node_id, &msg, sig)
    }

    /// Checks the signature against the sender named in the statement.
    pub fn verify(&self) -> Result<(), SignatureCheck> {
        let sender = self.statement.node_id;
        let sig = self.signature.as_ref().ok_or(SignatureCheck::Unsigned)?;
        let key = VerifyingIdentity::from_bytes(sender.as_bytes())
            .map_err(|_| SignatureCheck::BadSender { sender })?;
        let msg = Self::signed_message(&self.chain_id, &self.prev_block, &self.statement);
        key.verify(msg.as_bytes(), sig).map_err(|_| SignatureCheck::BadSignature { sender })
    }

    /// The canonical bytes, shareable.
    pub fn to_wire(&self) -> Wire {
        Arc::from(self.to_canonical_bytes())
    }
}

impl Encode for ScpEnvelope {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_bytes(self.chain_id.as_bytes(), out);
        self.prev_block.0.encode(out);
        self.statement.encode(out);
        self.signature.encode(out);
    }
}

impl Decode for ScpEnvelope {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let chain = r.bytes(MAX_CHAIN_ID_LEN)?;
        let chain_id = std::str::from_utf8(chain)
            .map_err(|_| DecodeError::Invalid { what: "chain id", reason: "not UTF-8" })?
            .to_owned();
        Ok(ScpEnvelope {
            chain_id,
            prev_block: BlockId(Hash32::decode(r)?),
            statement: Statement::decode(r)?,
            signature: Option::<Ed25519Signature>::decode(r)?,
        })
    }
}

/// Why a received SCP message was dropped before (or by) the SCP core. The runtime exports
/// [`DropCounters`] as the `messages dropped by cause` metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropCause {
    /// The bytes do not decode as an envelope.
    Malformed,
    /// No signature.
    Unsigned,
    /// The signature does not verify for the claimed sender (or the sender is no key).
    BadSignature,
    /// Another network's chain id.
    OtherChain,
    /// For a slot the node has already closed.
    StaleSlot,
    /// For the node's current slot but on another parent block.
    WrongPrevBlock,
    /// For a slot too far ahead to buffer.
    TooFarAhead,
    /// It would have to wait (for its slot or for transaction bodies) but the buffer is full,
    /// in all or for its signer.
    BufferFull,
    /// Already seen (same signer and signature as a message that passed every check).
    Duplicate,
    /// Signed by a node outside the known network (relayed, not processed).
    UnknownSender,
    /// Claims to come from this node.
    FromSelf,
    /// The SCP core refused it (insane, not newer, invalid value, unknown quorum set, ...).
    RejectedByScp,
}

impl DropCause {
    /// Every cause, for exporting all counters (also the zero ones).
    pub const ALL: [DropCause; 12] = [
        DropCause::Malformed,
        DropCause::Unsigned,
        DropCause::BadSignature,
        DropCause::OtherChain,
        DropCause::StaleSlot,
        DropCause::WrongPrevBlock,
        DropCause::TooFarAhead,
        DropCause::BufferFull,
        DropCause::Duplicate,
        DropCause::UnknownSender,
        DropCause::FromSelf,
        DropCause::RejectedByScp,
    ];

    /// A stable snake_case label (metrics label value).
    pub fn label(self) -> &'static str {
        match self {
            DropCause::Malformed => "malformed",
            DropCause::Unsigned => "unsigned",
            DropCause::BadSignature => "bad_signature",
            DropCause::OtherChain => "other_chain",
            DropCause::StaleSlot => "stale_slot",
            DropCause::WrongPrevBlock => "wrong_prev_block",
            DropCause::TooFarAhead => "too_far_ahead",
            DropCause::BufferFull => "buffer_full",
            DropCause::Duplicate => "duplicate",
            DropCause::UnknownSender => "unknown_sender",
            DropCause::FromSelf => "from_self",
            DropCause::RejectedByScp => "rejected_by_scp",
        }
    }
}

/// How many received messages were dropped, per cause.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DropCounters {
    counts: [u64; DropCause::ALL.len()],
}

impl DropCounters {
    /// Counts one drop.
    pub fn add(&mut self, cause: DropCause) {
        let i = cause as usize;
        if let Some(c) = self.counts.get_mut(i) {
            *c = c.saturating_add(1);
        }
    }

    /// Drops counted for `cause`.
    pub fn get(&self, cause: DropCause) -> u64 {
        self.counts.get(cause as usize).copied().unwrap_or(0)
    }

    /// All drops.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(cause, count)` for every cause.
    pub fn iter(&self) -> impl Iterator<Item = (DropCause, u64)> + '_ {
        DropCause::ALL.iter().map(|c| (*c, self.get(*c)))
    }
}
