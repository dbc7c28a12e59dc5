//! The enclave's identity: its Noise static key, its block-signing key and the evidence that
//! binds both to the enclave's measurement, chain and configuration.

use mcnode_attest::sim::{SimPlatform, SimProgram};
use mcnode_attest::{Evidence, ReportClaims};
use mcnode_crypto::SigningIdentity;
use mcnode_types::{Hash32, NodeId};
use zeroize::Zeroizing;

use crate::channel::resolver::x25519_public;
use crate::sealing::{self, SealingError};

/// Why an identity cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The sealed block-signing key does not unseal here.
    #[error("sealed block-signing key refused: {0}")]
    Unseal(#[from] SealingError),
    /// It unsealed but is not a 32-byte key.
    #[error("sealed block-signing key has {len} bytes, expected 32")]
    SealedKeyLength {
        /// Its length.
        len: usize,
    },
    /// The Noise layer could not derive the static key.
    #[error("noise: {0}")]
    Noise(#[from] snow::Error),
}

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
    /// The node the enclave serves (its message-signing key), named in the evidence.
    pub node_id: NodeId,
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
        let signing_seed = Zeroizing::new(Hash32::digest(b"mcnode-enclave-block-key-v1", &seed).0);
        let block_signing = SigningIdentity::from_seed(&signing_seed);
        EnclaveIdentity::attest_simulated(platform, program, params, seed, block_signing)
    }

    /// An identity after a restart: a fresh Noise key from `seed` (as in MobileCoin, the Noise
    /// identity is per start) and the block-signing key unsealed from `sealed` (made by
    /// [`EnclaveIdentity::seal_block_signing_key`] on the same platform by an enclave with the
    /// same measurement; anything else is refused).
    pub fn restore_simulated(
        platform: &SimPlatform,
        program: &SimProgram,
        params: &IdentityParams<'_>,
        seed: [u8; 32],
        sealed: &[u8],
    ) -> Result<EnclaveIdentity, IdentityError> {
        let key = platform.sealing_key(&program.measurement);
        let plain = sealing::unseal(&key, &program.measurement, sealed)?;
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| IdentityError::SealedKeyLength { len: plain.len() })?;
        let signing_seed = Zeroizing::new(bytes);
        let block_signing = SigningIdentity::from_seed(&signing_seed);
        Ok(EnclaveIdentity::attest_simulated(platform, program, params, seed, block_signing)?)
    }

    /// Seals the block-signing key for the enclave `program` on `platform`; `nonce` must be
    /// fresh random bytes.
    pub fn seal_block_signing_key(
        &self,
        platform: &SimPlatform,
        program: &SimProgram,
        nonce: [u8; 24],
    ) -> Result<Vec<u8>, SealingError> {
        let key = platform.sealing_key(&program.measurement);
        let seed = Zeroizing::new(self.block_signing.to_seed());
        sealing::seal(&key, &program.measurement, seed.as_ref(), nonce)
    }

    fn attest_simulated(
        platform: &SimPlatform,
        program: &SimProgram,
        params: &IdentityParams<'_>,
        seed: [u8; 32],
        block_signing: SigningIdentity,
    ) -> Result<EnclaveIdentity, snow::Error> {
        let noise_private = Zeroizing::new(Hash32::digest(b"mcnode-enclave-noise-key-v1", &seed).0);
        let noise_public = x25519_public(&noise_private)?;
        let claims = ReportClaims {
            noise_static: noise_public,
            block_signing_key: block_signing.verifying().to_bytes(),
            node_id: params.node_id.0,
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

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_attest::sim::SimRootKey;

    fn setup() -> (SimPlatform, SimProgram, IdentityParams<'static>) {
        let platform = SimPlatform::new(&SimRootKey::from_seed([1; 32]), [2; 32], 0, u64::MAX);
        let program = crate::measurement::release_program();
        let params = IdentityParams {
            chain_id: "local",
            node_id: NodeId([8; 32]),
            config_digest: Hash32([3; 32]),
            nonce: [4; 16],
            now: 1_800_000_000,
            validity_secs: 60,
        };
        (platform, program, params)
    }

    #[test]
    fn block_signing_key_survives_a_restart_but_not_another_measurement() {
        let (platform, program, params) = setup();
        let first =
            EnclaveIdentity::generate_simulated(&platform, &program, &params, [5; 32]).unwrap();
        let sealed = first.seal_block_signing_key(&platform, &program, [6; 24]).unwrap();
        let seed = first.block_signing_key().to_seed();
        assert!(!sealed.windows(32).any(|w| w == seed), "key visible in the sealed blob");

        let again =
            EnclaveIdentity::restore_simulated(&platform, &program, &params, [7; 32], &sealed)
                .unwrap();
        assert_eq!(again.block_signing_key().verifying(), first.block_signing_key().verifying());
        assert_ne!(again.noise_public(), first.noise_public(), "Noise identity is per start");
        assert_eq!(
            again.evidence().claims.block_signing_key,
            first.evidence().claims.block_signing_key
        );

        let mut other = program.clone();
        other.measurement = Hash32([9; 32]);
        assert!(matches!(
            EnclaveIdentity::restore_simulated(&platform, &other, &params, [7; 32], &sealed),
            Err(IdentityError::Unseal(SealingError::ForeignMeasurement { .. }))
        ));
        let mut tampered = sealed.clone();
        tampered[60] ^= 1;
        assert!(matches!(
            EnclaveIdentity::restore_simulated(&platform, &program, &params, [7; 32], &tampered),
            Err(IdentityError::Unseal(SealingError::Tampered))
        ));
    }
}
