//! The trusted core: what would run inside the TEE. One function, [`TrustedEnclave::handle`],
//! takes a request frame and the enclave runtime's randomness and returns a reply frame; it
//! never panics on any input and never reads the clock or the OS RNG.
//!
//! Call order (a state machine): `Init` first and once (else `NotInitialized` /
//! `AlreadyInitialized`); sessions must exist before their messages (`Channel(UnknownSession)`);
//! a peer handshake's later steps need its earlier ones (`NoPendingHandshake` / `WrongRole`);
//! a cached ciphertext from before a restart or from the other cache is `BadCiphertext`.
//!
//! Randomness: the runtime hands 32 fresh bytes with every call (the enclave process reads
//! them from its own OS RNG; the in-process backend from an RNG it owns). They seed the cache
//! keys at `Init`, Noise ephemeral keys, sealing nonces and fee-output secrets. They must not
//! come from the host: whoever knows them knows the cache keys.

mod cache;
pub mod form;
pub mod txs;

use mcnode_attest::sim::{SimPlatform, SimProgram};
use mcnode_attest::{Policy, ReportClaims, Verifier};
use mcnode_crypto::SigningIdentity;
use mcnode_tx::TokenId;
use mcnode_tx::validation::{FeeConfig, ValidationContext};
use mcnode_types::{Encode, NodeId};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::Zeroizing;

use crate::call::{
    CALL_VERSION, EnclaveCall, EnclaveReply, FormBlockInputs, FrameError, InitParams, decode_frame,
    encode_frame,
};
use crate::channel::resolver::x25519_public;
use crate::channel::{ChannelConfig, SessionLimits, Sessions};
use crate::host_types::{LocallyEncryptedTx, WellFormedEncryptedTx};
use crate::identity::EnclaveIdentity;
use crate::measurement::default_trusted_measurements;
use crate::refusal::{EnclaveError, SealFailure};
use crate::sealing;
use cache::CacheCipher;
use form::Former;

/// State after `Init`.
struct Ready {
    sessions: Sessions,
    fees: FeeConfig,
    tokens: Vec<TokenId>,
    fee_recipient: mcnode_tx::PublicAddress,
    local: CacheCipher,
    well_formed: CacheCipher,
}

/// The trusted enclave: platform (the simulated "hardware"), program identity and state.
pub struct TrustedEnclave {
    platform: SimPlatform,
    sim_root: [u8; 32],
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
    /// An uninitialised enclave running `program` on `platform`; peers are verified against
    /// the simulated root `sim_root` and this release's measurement.
    pub fn new(platform: SimPlatform, sim_root: [u8; 32], program: SimProgram) -> TrustedEnclave {
        TrustedEnclave {
            platform,
            sim_root,
            program,
            limits: SessionLimits::default(),
            state: None,
        }
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
            EnclaveCall::ClientTxPropose { msg } => {
                let r = self.ready()?;
                let plain = Zeroizing::new(r.sessions.client_open(&msg)?);
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
                let (session, msg3, _) = self.ready()?.sessions.peer_connected(peer, &msg2, now)?;
                Ok(EnclaveReply::PeerConnected { session, msg3 })
            }
            EnclaveCall::PeerFinish { peer, msg3, now } => {
                let (session, _) = self.ready()?.sessions.peer_accepted(peer, &msg3, now)?;
                Ok(EnclaveReply::PeerAccepted { session })
            }
            EnclaveCall::PeerClose { session } => {
                Ok(EnclaveReply::Closed { was_open: self.ready()?.sessions.close_peer(session) })
            }
            EnclaveCall::PeerTxPropose { msg } => {
                let r = self.ready()?;
                let plain = Zeroizing::new(r.sessions.peer_open(&msg)?);
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
            EnclaveCall::TxIsWellFormed { tx, height, highest } => {
                let r = self.ready()?;
                let plain = r.local.open(&tx.0)?;
                let p = txs::decode_proposed(&plain)?;
                let ctx = ValidationContext { fees: r.fees.clone(), height };
                let context = txs::well_formed(&p, plain.len(), height, &highest, &ctx)?;
                let tx = WellFormedEncryptedTx(r.well_formed.seal(&plain)?);
                Ok(EnclaveReply::WellFormed { context, tx })
            }
            EnclaveCall::TxsForPeer { session, txs: list } => {
                let r = self.ready()?;
                let mut proposed = Vec::with_capacity(list.len());
                for t in &list {
                    proposed.push(txs::decode_proposed(&r.well_formed.open(&t.0)?)?);
                }
                let plain = Zeroizing::new(txs::encode_proposed_list(&proposed));
                Ok(EnclaveReply::ForPeer(r.sessions.peer_seal(session, &plain)?))
            }
            EnclaveCall::FormBlock(inputs) => self.form_block(inputs, rng),
            EnclaveCall::MinimumFee { token } => {
                Ok(EnclaveReply::MinimumFee(self.ready()?.fees.minimum_fee(token)))
            }
        }
    }

    fn init(&mut self, p: InitParams, rng: &mut ChaCha20Rng) -> Result<EnclaveReply, EnclaveError> {
        if self.state.is_some() {
            return Err(EnclaveError::AlreadyInitialized);
        }
        let measurement = self.program.measurement;
        let key = self.platform.sealing_key(&measurement);
        let signing_seed = match &p.sealed_signing_key {
            Some(blob) => {
                let plain = sealing::unseal(&key, &measurement, blob)
                    .map_err(|e| EnclaveError::Sealed(SealFailure::from(&e)))?;
                let s: [u8; 32] = plain
                    .as_slice()
                    .try_into()
                    .map_err(|_| EnclaveError::Sealed(SealFailure::BadKey))?;
                Zeroizing::new(s)
            }
            None => Zeroizing::new(seed(rng)),
        };
        let mut nonce = [0u8; 24];
        rng.fill_bytes(&mut nonce);
        let sealed = sealing::seal(&key, &measurement, signing_seed.as_slice(), nonce)
            .map_err(|e| EnclaveError::Sealed(SealFailure::from(&e)))?;
        let signer = SigningIdentity::from_seed(&signing_seed);
        let noise_private = Zeroizing::new(seed(rng));
        let noise_public = x25519_public(&noise_private).map_err(|_| EnclaveError::Internal)?;
        let mut quote_nonce = [0u8; 16];
        rng.fill_bytes(&mut quote_nonce);
        let claims = ReportClaims {
            noise_static: noise_public,
            block_signing_key: signer.verifying().to_bytes(),
            chain_id: p.chain_id.clone(),
            config_digest: p.config_digest,
            nonce: quote_nonce,
        };
        let evidence = self.platform.attest(&self.program, claims, p.now, p.evidence_validity_secs);
        let block_signer = NodeId(signer.verifying().to_bytes());
        let identity = EnclaveIdentity::from_parts(noise_private, signer, evidence)
            .map_err(|_| EnclaveError::Internal)?;
        let cfg = ChannelConfig::new(&p.chain_id, p.config_digest);
        let verifier =
            Verifier::new(Policy::simulated(self.sim_root, default_trusted_measurements()));
        let tokens: Vec<TokenId> = p.fees.iter().map(|f| f.token).collect();
        self.state = Some(Ready {
            sessions: Sessions::new(identity, cfg, verifier, self.limits),
            fees: FeeConfig::new(p.fees.iter().map(|f| (f.token, f.minimum_fee))),
            tokens,
            fee_recipient: p.fee_recipient,
            local: CacheCipher::new(Zeroizing::new(seed(rng)), b"mcnode-cache-local-v1"),
            well_formed: CacheCipher::new(Zeroizing::new(seed(rng)), b"mcnode-cache-wellformed-v1"),
        });
        Ok(EnclaveReply::Initialized { sealed_signing_key: sealed, block_signer })
    }

    fn form_block(
        &mut self,
        inputs: FormBlockInputs,
        rng: &mut ChaCha20Rng,
    ) -> Result<EnclaveReply, EnclaveError> {
        let r = self.ready()?;
        let mut list = Vec::with_capacity(inputs.txs.len());
        for t in &inputs.txs {
            list.push(txs::decode_proposed(&r.well_formed.open(&t.0)?)?.tx);
        }
        let former = Former {
            fees: &r.fees,
            tokens: &r.tokens,
            fee_recipient: &r.fee_recipient,
            signer: r.sessions.identity().block_signing_key(),
        };
        let block =
            former.form(&inputs.parent, inputs.frontier.as_ref(), &list, inputs.now, rng)?;
        Ok(EnclaveReply::BlockFormed(block))
    }
}
