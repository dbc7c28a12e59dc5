//! The trusted core: what would run inside the TEE. One function, [`TrustedEnclave::handle`],
//! takes a request frame and the enclave runtime's randomness and returns a reply frame; it
//! never panics on any input and never reads the clock or the OS RNG.
//!
//! Call order (a state machine): `Init` first and once (else `NotInitialized` /
//! `AlreadyInitialized`); sessions must exist before their messages (`Channel(UnknownSession)`);
//! a peer handshake's later steps need its earlier ones (`NoPendingHandshake` / `WrongRole`);
//! a cached ciphertext from before a restart or from the other cache is `BadCiphertext`.
//! `Init` whose configuration digest is not [`crate::call::config_digest`] of its own chain id,
//! fees, fee recipient and peer policy is `ConfigDigestMismatch` (the evidence must describe
//! what is enforced). `FormBlock` before a tip is known is `Chain(NoTip)`; on any parent other
//! than the tracked tip, `Chain(ParentNotTip)` ([`chain`]).
//!
//! Randomness: the runtime hands 32 fresh bytes with every call (the enclave process reads
//! them from its own OS RNG; the in-process backend from an RNG it owns). They seed the cache
//! keys at `Init`, Noise ephemeral keys and sealing nonces. They must not come from the host:
//! whoever knows them knows the cache keys. (Fee-output secrets are derived from the block's
//! transactions instead, so that every enclave forms the same block.)

mod cache;
pub mod chain;
pub mod form;
pub mod txs;

use std::collections::HashMap;

use mcnode_attest::Verifier;
use mcnode_attest::sim::{SimPlatform, SimProgram};
use mcnode_crypto::VerifyingIdentity;
use mcnode_ledger::Block;
use mcnode_tx::TokenId;
use mcnode_tx::validation::{FeeConfig, ValidationContext};
use mcnode_types::{Encode, NodeId};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::Zeroizing;

use crate::call::{
    CALL_VERSION, EnclaveCall, EnclaveReply, FormBlockInputs, FrameError, InitParams,
    config_digest, decode_frame, encode_frame, node_id_proof_message,
};
use crate::channel::{ChannelConfig, MAX_PLAINTEXT_LEN, SessionLimits, Sessions};
use crate::chunks::{MAX_CHUNKS, open_chunks};
use crate::host_types::{LocallyEncryptedTx, ProposedTx, WellFormedEncryptedTx, WellFormedVerdict};
use crate::identity::{EnclaveIdentity, IdentityError, IdentityParams};
use crate::refusal::{ChainFailure, EnclaveError, SealFailure};
use cache::CacheCipher;

/// A cached transaction decrypted and decoded (with its plaintext), or why it was not.
type Opened = Result<(ProposedTx, Zeroizing<Vec<u8>>), EnclaveError>;
use form::Former;

/// State after `Init`.
struct Ready {
    sessions: Sessions,
    fees: FeeConfig,
    tokens: Vec<TokenId>,
    fee_recipient: mcnode_tx::PublicAddress,
    local: CacheCipher,
    well_formed: CacheCipher,
    /// The header of the last block formed or accepted (the chain this enclave extends).
    tip: Option<Block>,
}

/// The trusted enclave: platform (the simulated "hardware"), program identity and state.
pub struct TrustedEnclave {
    platform: SimPlatform,
    program: SimProgram,
    limits: SessionLimits,
    state: Option<Ready>,
}

impl std::fmt::Debug for TrustedEnclave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedEnclave")
            .field("measurement", &self.program.measurement)
            .field("initialized", &self.state.is_some())
            .finish_non_exhaustive()
    }
}

fn seed(rng: &mut ChaCha20Rng) -> [u8; 32] {
    let mut s = [0u8; 32];
    rng.fill_bytes(&mut s);
    s
}

impl TrustedEnclave {
    /// An uninitialised enclave running `program` on `platform`. It trusts no peer until `Init`
    /// gives it the operator's peer policy.
    pub fn new(platform: SimPlatform, program: SimProgram) -> TrustedEnclave {
        TrustedEnclave { platform, program, limits: SessionLimits::default(), state: None }
    }

    /// Handles one request frame with 32 bytes of enclave randomness; returns the reply frame.
    pub fn handle(&mut self, request: &[u8], entropy: [u8; 32]) -> Vec<u8> {
        let reply = match decode_frame::<EnclaveCall>(request) {
            Ok(call) => {
                let mut rng = ChaCha20Rng::from_seed(entropy);
                self.dispatch(call, &mut rng).unwrap_or_else(EnclaveReply::Refused)
            }
            Err(FrameError::Version { got, .. }) => {
                EnclaveReply::Refused(EnclaveError::UnsupportedVersion {
                    got,
                    supported: CALL_VERSION,
                })
            }
            Err(FrameError::Malformed(_)) => EnclaveReply::Refused(EnclaveError::MalformedCall),
        };
        encode_frame(&reply)
    }

    fn ready(&mut self) -> Result<&mut Ready, EnclaveError> {
        self.state.as_mut().ok_or(EnclaveError::NotInitialized)
    }

    fn dispatch(
        &mut self,
        call: EnclaveCall,
        rng: &mut ChaCha20Rng,
    ) -> Result<EnclaveReply, EnclaveError> {
        match call {
            EnclaveCall::Init(p) => self.init(p, rng),
            EnclaveCall::Identity => {
                let id = self.ready()?.sessions.identity();
                Ok(EnclaveReply::Identity {
                    noise_public: *id.noise_public(),
                    block_signer: NodeId(id.block_signing_key().verifying().to_bytes()),
                    evidence: id.evidence_bytes().to_vec(),
                })
            }
            EnclaveCall::ClientAccept { msg1 } => {
                let (session, msg2) = self.ready()?.sessions.accept_client(&msg1, seed(rng))?;
                Ok(EnclaveReply::ClientAccepted { session, msg2 })
            }
            EnclaveCall::ClientClose { session } => {
                Ok(EnclaveReply::Closed { was_open: self.ready()?.sessions.close_client(session) })
            }
            EnclaveCall::ClientTxPropose { msgs } => {
                let r = self.ready()?;
                let plain = Zeroizing::new(open_chunks(&msgs, |m| r.sessions.client_open(m))?);
                let p = txs::decode_proposed(&plain)?;
                let mut ctx = txs::context(&p, plain.len())?;
                ctx.encrypted = LocallyEncryptedTx(r.local.seal(&plain)?);
                Ok(EnclaveReply::TxProposed(ctx))
            }
            EnclaveCall::PeerInit { peer } => {
                let msg = self.ready()?.sessions.peer_connect(peer, seed(rng))?;
                Ok(EnclaveReply::PeerHandshake { msg })
            }
            EnclaveCall::PeerAccept { peer, msg1 } => {
                let msg = self.ready()?.sessions.peer_accept(peer, &msg1, seed(rng))?;
                Ok(EnclaveReply::PeerHandshake { msg })
            }
            EnclaveCall::PeerConnect { peer, msg2, now } => {
                let (session, msg3, claims) =
                    self.ready()?.sessions.peer_connected(peer, &msg2, now)?;
                let block_signer = NodeId(claims.claims.block_signing_key);
                Ok(EnclaveReply::PeerConnected { session, msg3, block_signer })
            }
            EnclaveCall::PeerFinish { peer, msg3, now } => {
                let (session, claims) = self.ready()?.sessions.peer_accepted(peer, &msg3, now)?;
                let block_signer = NodeId(claims.claims.block_signing_key);
                Ok(EnclaveReply::PeerAccepted { session, block_signer })
            }
            EnclaveCall::PeerClose { session } => {
                Ok(EnclaveReply::Closed { was_open: self.ready()?.sessions.close_peer(session) })
            }
            EnclaveCall::PeerTxPropose { msgs } => {
                let r = self.ready()?;
                let plain = Zeroizing::new(open_chunks(&msgs, |m| r.sessions.peer_open(m))?);
                let list = txs::decode_proposed_list(&plain)?;
                let mut out = Vec::with_capacity(list.len());
                for p in &list {
                    let bytes = Zeroizing::new(p.to_canonical_bytes());
                    let mut ctx = txs::context(p, bytes.len())?;
                    ctx.encrypted = LocallyEncryptedTx(r.local.seal(&bytes)?);
                    out.push(ctx);
                }
                Ok(EnclaveReply::PeerTxsProposed(out))
            }
            EnclaveCall::TxsAreWellFormed { height, txs: queries } => {
                let r = self.ready()?;
                let ctx = ValidationContext { fees: r.fees.clone(), height };
                // Decrypt and decode each; a ciphertext that does not open is that
                // transaction's refusal, not the call's.
                let opened: Vec<Opened> = queries
                    .iter()
                    .map(|q| {
                        let plain = r.local.open(&q.tx.0)?;
                        Ok((txs::decode_proposed(&plain)?, plain))
                    })
                    .collect();
                let candidates: Vec<txs::Candidate<'_>> = opened
                    .iter()
                    .zip(&queries)
                    .filter_map(|(o, q)| {
                        let (proposed, plain) = o.as_ref().ok()?;
                        Some(txs::Candidate { proposed, size: plain.len(), highest: &q.highest })
                    })
                    .collect();
                let mut judged = txs::well_formed_batch(&candidates, &ctx).into_iter();
                let mut verdicts = Vec::with_capacity(queries.len());
                for o in &opened {
                    let v = match (o, o.as_ref().ok().map(|_| judged.next())) {
                        (Err(e), _) => WellFormedVerdict::Refused(*e),
                        (Ok((_, plain)), Some(Some(Ok(context)))) => {
                            WellFormedVerdict::WellFormed {
                                context,
                                tx: WellFormedEncryptedTx(r.well_formed.seal(plain)?),
                            }
                        }
                        (Ok(_), Some(Some(Err(e)))) => WellFormedVerdict::Refused(e),
                        (Ok(_), _) => return Err(EnclaveError::Internal),
                    };
                    verdicts.push(v);
                }
                Ok(EnclaveReply::WellFormed(verdicts))
            }
            EnclaveCall::TxsForPeer { session, txs: list } => {
                let r = self.ready()?;
                let mut proposed = Vec::with_capacity(list.len());
                for t in &list {
                    proposed.push(txs::decode_proposed(&r.well_formed.open(&t.0)?)?);
                }
                let plain = Zeroizing::new(txs::encode_proposed_list(&proposed));
                let mut out = Vec::new();
                for chunk in plain.chunks(MAX_PLAINTEXT_LEN) {
                    out.push(r.sessions.peer_seal(session, chunk)?);
                }
                if out.len() > MAX_CHUNKS as usize {
                    return Err(EnclaveError::Channel(crate::refusal::ChannelFailure::TooLarge));
                }
                Ok(EnclaveReply::ForPeer(out))
            }
            EnclaveCall::FormBlock(inputs) => self.form_block(inputs),
            EnclaveCall::ShowBlock { block, frontier } => {
                let r = self.ready()?;
                let own = NodeId(r.sessions.identity().block_signing_key().verifying().to_bytes());
                let sessions = &r.sessions;
                let tip = chain::next_tip(r.tip.as_ref(), &block, frontier.as_ref(), |s| {
                    *s == own || sessions.is_attested_signer(s)
                })?;
                r.tip = Some(tip);
                Ok(EnclaveReply::TipAccepted(tip))
            }
            EnclaveCall::MinimumFee { token } => {
                Ok(EnclaveReply::MinimumFee(self.ready()?.fees.minimum_fee(token)))
            }
        }
    }

    fn init(&mut self, p: InitParams, rng: &mut ChaCha20Rng) -> Result<EnclaveReply, EnclaveError> {
        if self.state.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        // The digest in the evidence must describe the configuration enforced below, not
        // whatever the host claims (else the host could pay fees to itself unnoticed).
        if p.config_digest != config_digest(&p.chain_id, &p.fees, &p.fee_recipient, &p.peer_policy)
        {
            return Err(EnclaveError::ConfigDigestMismatch);
        }
        // The node id the evidence will name must be the host's own: only the holder of the
        // node's message key can have an enclave attest to serving that node.
        let node_key =
            VerifyingIdentity::from_bytes(&p.node_id.0).map_err(|_| EnclaveError::NodeIdProof)?;
        node_key
            .verify(&node_id_proof_message(&p.chain_id, &p.node_id), &p.node_id_proof)
            .map_err(|_| EnclaveError::NodeIdProof)?;
        if let Some(tip) = &p.tip {
            chain::check_header(tip)?;
        }
        let params = IdentityParams {
            chain_id: &p.chain_id,
            node_id: p.node_id,
            config_digest: p.config_digest,
            nonce: {
                let mut n = [0u8; 16];
                rng.fill_bytes(&mut n);
                n
            },
            now: p.now,
            validity_secs: p.evidence_validity_secs,
        };
        let (platform, program) = (&self.platform, &self.program);
        let identity = match &p.sealed_signing_key {
            Some(blob) => {
                EnclaveIdentity::restore_simulated(platform, program, &params, seed(rng), blob)
                    .map_err(|e| match e {
                        IdentityError::Unseal(e) => EnclaveError::Sealed(SealFailure::from(&e)),
                        IdentityError::SealedKeyLength { .. } => {
                            EnclaveError::Sealed(SealFailure::BadKey)
                        }
                        IdentityError::Noise(_) => EnclaveError::Internal,
                    })?
            }
            None => EnclaveIdentity::generate_simulated(platform, program, &params, seed(rng))
                .map_err(|_| EnclaveError::Internal)?,
        };
        let mut nonce = [0u8; 24];
        rng.fill_bytes(&mut nonce);
        let sealed = identity
            .seal_block_signing_key(platform, program, nonce)
            .map_err(|e| EnclaveError::Sealed(SealFailure::from(&e)))?;
        let block_signer = NodeId(identity.block_signing_key().verifying().to_bytes());
        let cfg = ChannelConfig::new(&p.chain_id, p.config_digest);
        let verifier = Verifier::new(p.peer_policy.to_policy());
        let tokens: Vec<TokenId> = p.fees.iter().map(|f| f.token).collect();
        self.state = Some(Ready {
            sessions: Sessions::new(identity, cfg, verifier, self.limits),
            fees: FeeConfig::new(p.fees.iter().map(|f| (f.token, f.minimum_fee))),
            tokens,
            fee_recipient: p.fee_recipient,
            local: CacheCipher::new(Zeroizing::new(seed(rng)), b"mcnode-cache-local-v1"),
            well_formed: CacheCipher::new(Zeroizing::new(seed(rng)), b"mcnode-cache-wellformed-v1"),
            tip: p.tip,
        });
        Ok(EnclaveReply::Initialized { sealed_signing_key: sealed, block_signer })
    }

    fn form_block(&mut self, inputs: FormBlockInputs) -> Result<EnclaveReply, EnclaveError> {
        let r = self.ready()?;
        let tip = r.tip.ok_or(EnclaveError::Chain(ChainFailure::NoTip))?;
        if inputs.parent != tip {
            return Err(EnclaveError::Chain(ChainFailure::ParentNotTip));
        }
        let mut list = Vec::with_capacity(inputs.txs.len());
        for t in &inputs.txs {
            list.push(txs::decode_proposed(&r.well_formed.open(&t.0)?)?);
        }
        let mut roots = HashMap::new();
        for p in &inputs.ring_roots {
            let (size, root) = chain::prefix_root(&tip, p)?;
            roots.insert(size, root);
        }
        let former = Former {
            fees: &r.fees,
            tokens: &r.tokens,
            fee_recipient: &r.fee_recipient,
            signer: r.sessions.identity().block_signing_key(),
        };
        let formed = former.form(&tip, inputs.frontier.as_ref(), &list, &roots, inputs.now)?;
        // From now on only this block can be extended: the enclave never signs two blocks at
        // one height.
        r.tip = Some(formed.block.block);
        Ok(EnclaveReply::BlockFormed(formed))
    }
}
