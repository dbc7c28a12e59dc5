//! The enclave's identity: its Noise static key, its block-signing key and the evidence that
//! binds both to the enclave's measurement, chain and configuration.

use mcnode_attest::sim::{SimPlatform, SimProgram};
use mcnode_attest::{Evidence, ReportClaims};
use mcnode_crypto::SigningIdentity;
use mcnode_types::Hash32;
use zeroize::Zeroizing;

use crate::channel::resolver::x25519_public;

/// What an enclave needs to take part in channels. Secret parts are zeroised on drop and never
/// printed.
pub struct EnclaveIdentity {
    noise_private: Zeroizing<[u8; 32]>,
    noise_public: [u8; 32],
    block_signing: SigningIdentity,
    evidence: Evidence,
    evidence_bytes: Vec<u8>,
}

impl std::fmt::Debug for EnclaveIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnclaveIdentity")
            .field("noise_public", &hex_short(&self.noise_public))
            .field("block_signing_key", &hex_short(&self.block_signing.verifying().to_bytes()))
            .finish_non_exhaustive()
    }
}

fn hex_short(b: &[u8; 32]) -> String {
    Hash32(*b).short()
}

/// Parameters of a fresh simulated enclave identity.
#[derive(Clone, Debug)]
pub struct IdentityParams<'a> {
    /// The chain the enclave serves.
    pub chain_id: &'a str,
    /// Digest of its consensus configuration.
    pub config_digest: Hash32,
    /// Freshness nonce for the quote.
    pub nonce: [u8; 16],
    /// Quote issue time (Unix seconds).
    pub now: u64,
    /// How long the quote stays valid.
    pub validity_secs: u64,
}

impl EnclaveIdentity {
    /// A fresh identity on the simulated platform: Noise and block-signing keys derived from
    /// `seed` (the caller's randomness), and evidence for `program` binding both keys to the
    /// chain and configuration.
    pub fn generate_simulated(
        platform: &SimPlatform,
        program: &SimProgram,
        params: &IdentityParams<'_>,
        seed: [u8; 32],
    ) -> Result<EnclaveIdentity, snow::Error> {
        let noise_private = Zeroizing::new(Hash32::digest(b"mcnode-enclave-noise-key-v1", &seed).0);
        let signing_seed = Zeroizing::new(Hash32::digest(b"mcnode-enclave-block-key-v1", &seed).0);
        let block_signing = SigningIdentity::from_seed(&signing_seed);
        let noise_public = x25519_public(&noise_private)?;
        let claims = ReportClaims {
            noise_static: noise_public,
            block_signing_key: block_signing.verifying().to_bytes(),
            chain_id: params.chain_id.to_owned(),
            config_digest: params.config_digest,
            nonce: params.nonce,
        };
        let evidence = platform.attest(program, claims, params.now, params.validity_secs);
        EnclaveIdentity::from_parts(noise_private, block_signing, evidence)
    }

    /// Assembles an identity from its parts WITHOUT checking that the evidence names this Noise
    /// key: a mismatched identity is what an attacker replaying someone else's evidence holds,
    /// and every channel peer refuses it. Tests use it to play that attacker.
    pub fn from_parts(
        noise_private: Zeroizing<[u8; 32]>,
        block_signing: SigningIdentity,
        evidence: Evidence,
    ) -> Result<EnclaveIdentity, snow::Error> {
        let noise_public = x25519_public(&noise_private)?;
        let evidence_bytes = evidence.to_bytes();
        Ok(EnclaveIdentity { noise_private, noise_public, block_signing, evidence, evidence_bytes })
    }

    /// The Noise static public key.
    pub fn noise_public(&self) -> &[u8; 32] {
        &self.noise_public
    }

    pub(crate) fn noise_private(&self) -> &[u8; 32] {
        &self.noise_private
    }

    /// The block-signing key.
    pub fn block_signing_key(&self) -> &SigningIdentity {
        &self.block_signing
    }

    /// The evidence.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// The evidence's canonical bytes (sent in handshake payloads).
    pub fn evidence_bytes(&self) -> &[u8] {
        &self.evidence_bytes
    }
}
