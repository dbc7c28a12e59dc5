//! The parameters of the enclave's two largest calls, `Init` ([`InitParams`], with
//! [`config_digest`], the digest of the configuration the enclave attests to) and `FormBlock`
//! ([`FormBlockInputs`]), and their canonical encodings. Re-exported by [`crate::call`].

use mcnode_crypto::{Ed25519Signature, SigningIdentity};
use mcnode_ledger::Block;
use mcnode_tx::PublicAddress;
use mcnode_types::{Decode, DecodeError, Encode, Hash32, NodeId, Reader, encode_bytes};

use crate::host_types::{FeeEntry, Frontier, MAX_TXS_PER_CALL, PrefixProof, WellFormedEncryptedTx};
use crate::peer_policy::PeerPolicy;

fn string(r: &mut Reader<'_>, max: u32) -> Result<String, DecodeError> {
    let b = r.bytes(max)?;
    String::from_utf8(b.to_vec())
        .map_err(|_| DecodeError::Invalid { what: "string", reason: "not UTF-8" })
}

/// Longest chain id accepted.
pub const MAX_CHAIN_ID_LEN: u32 = 256;
/// Most configured tokens.
pub const MAX_TOKENS: u32 = 256;
/// Longest sealed blob accepted.
pub const MAX_SEALED_LEN: u32 = 4096;
/// Longest evidence accepted in a reply.
pub const MAX_EVIDENCE_LEN: u32 = 1 << 16;
/// Domain tag of [`config_digest`].
pub const CONFIG_DIGEST_DOMAIN: &[u8] = b"mcnode-enclave-config-v1";

/// The configuration digest an enclave with this configuration attests to (and binds into its
/// channels' prologue): `Hash32::digest(CONFIG_DIGEST_DOMAIN, chain_id || fees || fee_recipient
/// || peer_policy)` in the canonical encoding (`chain_id` length-prefixed, `fees` as a
/// length-prefixed sequence in the order given, `peer_policy` as [`PeerPolicy`] encodes). It
/// covers everything `Init` supplies that changes which transactions are accepted, how blocks
/// are formed, or which enclaves receive plaintext, so a host cannot, for example, redirect
/// block fees to itself or trust a peer anchor it controls while presenting evidence that
/// peers and clients with the real configuration accept: they compute this digest from their
/// own configuration and refuse evidence carrying another. (`Init`'s `tip` is not covered: it
/// is ledger state, taken on first use; see [`InitParams::tip`].)
pub fn config_digest(
    chain_id: &str,
    fees: &[FeeEntry],
    fee_recipient: &PublicAddress,
    peer_policy: &PeerPolicy,
) -> Hash32 {
    let mut data = Vec::new();
    encode_bytes(chain_id.as_bytes(), &mut data);
    fees.encode(&mut data);
    fee_recipient.encode(&mut data);
    peer_policy.encode(&mut data);
    Hash32::digest(CONFIG_DIGEST_DOMAIN, &data)
}

/// Domain tag of the message a node's key signs to name itself to its enclave
/// ([`node_id_proof_message`]).
pub const NODE_ID_PROOF_DOMAIN: &[u8] = b"mcnode-enclave-node-id-v1";

/// The bytes a node's message-signing key signs so that its enclave will attest to serving
/// that node: `NODE_ID_PROOF_DOMAIN || chain_id (length-prefixed) || node_id`. Domain-separated
/// from every other signature the key makes (SCP statements have their own tag).
pub fn node_id_proof_message(chain_id: &str, node_id: &NodeId) -> Vec<u8> {
    let mut out = NODE_ID_PROOF_DOMAIN.to_vec();
    encode_bytes(chain_id.as_bytes(), &mut out);
    node_id.encode(&mut out);
    out
}

/// The node id of `key` and its proof for `chain_id`, as [`InitParams`] carries them.
pub fn node_id_proof(key: &SigningIdentity, chain_id: &str) -> (NodeId, Ed25519Signature) {
    let node_id = NodeId(key.verifying().to_bytes());
    let proof = key.sign(&node_id_proof_message(chain_id, &node_id));
    (node_id, proof)
}

/// Parameters of `Init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitParams {
    /// The chain the enclave serves.
    pub chain_id: String,
    /// Digest of the configuration, bound into channels and evidence. Must equal
    /// [`config_digest`] of this call's `chain_id`, `fees`, `fee_recipient` and `peer_policy`:
    /// the enclave recomputes it and refuses `Init` with [`crate::EnclaveError::ConfigDigestMismatch`]
    /// otherwise.
    pub config_digest: Hash32,
    /// Configured tokens and their minimum fees.
    pub fees: Vec<FeeEntry>,
    /// Where block fees are paid.
    pub fee_recipient: PublicAddress,
    /// How peer enclaves are attested (the operator's configuration; nothing is built in).
    pub peer_policy: PeerPolicy,
    /// The node this enclave serves: its Ed25519 message-signing public key. The enclave
    /// attests to it (`ReportClaims::node_id`), so the host cannot later present the same
    /// enclave as another node; peers refuse a session whose attested node id is not the one
    /// they dial or accept ([`crate::channel::ChannelError::PeerIdMismatch`]).
    pub node_id: NodeId,
    /// `node_id`'s signature over [`node_id_proof_message`]: a host that does not hold the
    /// node's key cannot start an enclave that attests to being that node (refused with
    /// [`crate::EnclaveError::NodeIdProof`]).
    pub node_id_proof: Ed25519Signature,
    /// The ledger's last block header, which the enclave then tracks as the tip of the chain it
    /// extends. TRUST ON FIRST USE: the enclave can only check that the header's id is the hash
    /// of its fields. `None`: the enclave tracks no chain until the host shows it the origin
    /// block ([`crate::call::EnclaveCall::ShowBlock`]).
    pub tip: Option<Block>,
    /// The block-signing key sealed by an earlier start, if any (else a new key is made).
    pub sealed_signing_key: Option<Vec<u8>>,
    /// Host time, for the evidence's issue time.
    pub now: u64,
    /// How long the evidence stays valid.
    pub evidence_validity_secs: u64,
}

/// Most prefix proofs one `FormBlock` may carry.
pub const MAX_RING_ROOTS: u32 = MAX_TXS_PER_CALL;

/// What the host asks of `FormBlock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormBlockInputs {
    /// The ledger's last block: must be the block the enclave tracks as its tip.
    pub parent: Block,
    /// Right edge of the ledger's Merkle tree (`None` only if the ledger has no outputs).
    pub frontier: Option<Frontier>,
    /// The agreed transactions.
    pub txs: Vec<WellFormedEncryptedTx>,
    /// One proof per ledger size the transactions' ring proofs are against
    /// ([`WellFormedTxContext::leaf_count`](crate::host_types::WellFormedTxContext)), tying
    /// that size's tree to the parent's root. A transaction without one is left out
    /// ([`crate::refusal::TxRule::RingRootUnproven`]).
    pub ring_roots: Vec<PrefixProof>,
    /// Host time, recorded in the block signature.
    pub now: u64,
}

impl Encode for InitParams {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_bytes(self.chain_id.as_bytes(), out);
        self.config_digest.encode(out);
        self.fees.encode(out);
        self.fee_recipient.encode(out);
        self.peer_policy.encode(out);
        self.node_id.encode(out);
        self.node_id_proof.encode(out);
        self.tip.encode(out);
        match &self.sealed_signing_key {
            None => out.push(0),
            Some(b) => {
                out.push(1);
                encode_bytes(b, out);
            }
        }
        self.now.encode(out);
        self.evidence_validity_secs.encode(out);
    }
}

impl Decode for InitParams {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(InitParams {
            chain_id: string(r, MAX_CHAIN_ID_LEN)?,
            config_digest: Hash32::decode(r)?,
            fees: r.seq(MAX_TOKENS)?,
            fee_recipient: PublicAddress::decode(r)?,
            peer_policy: PeerPolicy::decode(r)?,
            node_id: NodeId::decode(r)?,
            node_id_proof: Ed25519Signature::decode(r)?,
            tip: Option::<Block>::decode(r)?,
            sealed_signing_key: match u8::decode(r)? {
                0 => None,
                1 => Some(r.bytes(MAX_SEALED_LEN)?.to_vec()),
                tag => return Err(DecodeError::InvalidTag { what: "option", tag }),
            },
            now: u64::decode(r)?,
            evidence_validity_secs: u64::decode(r)?,
        })
    }
}

impl Encode for FormBlockInputs {
    fn encode(&self, out: &mut Vec<u8>) {
        self.parent.encode(out);
        self.frontier.encode(out);
        self.txs.encode(out);
        self.ring_roots.encode(out);
        self.now.encode(out);
    }
}

impl Decode for FormBlockInputs {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(FormBlockInputs {
            parent: Block::decode(r)?,
            frontier: Option::<Frontier>::decode(r)?,
            txs: r.seq(MAX_TXS_PER_CALL)?,
            ring_roots: r.seq(MAX_RING_ROOTS)?,
            now: u64::decode(r)?,
        })
    }
}
