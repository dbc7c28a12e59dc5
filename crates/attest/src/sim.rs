//! The SIMULATED attestation platform. SIMULATION ONLY.
//!
//! There is no TEE hardware on our machines, so this module plays the part a CPU and its
//! quoting enclave play on real hardware: a root key (the "manufacturer") certifies a platform
//! key (two-level chain, like Intel's root CA -> PCK certificate), the platform key signs quotes
//! over an enclave's measurement, signer, product id, security version, debug flag, validity
//! window and 64 bytes of report data, and the platform derives sealing keys bound to an
//! enclave's measurement (like SGX `EGETKEY`).
//!
//! **Every key and secret here lives in ordinary process memory under the operator's control.**
//! Whoever runs the node can read them, forge quotes for any measurement, and unseal anything.
//! Simulated evidence therefore proves nothing against the operator; it exercises the same
//! verification pipeline and policy that a hardware backend feeds. The verifier refuses it unless
//! the build enables the `simulated` feature AND the configuration sets `allow_simulated`, and it
//! logs a warning every time it accepts it.

use mcnode_crypto::SigningIdentity;
use mcnode_types::Hash32;
use zeroize::Zeroizing;

use crate::evidence::{
    Evidence, PlatformCert, PlatformEvidence, ReportClaims, SimQuote, SimQuoteBody, TeeType,
};

/// The fixed, PUBLIC seed of the devnet simulation root. Anyone can derive the root's private
/// key from it and forge "genuine" simulated evidence: that is the point of a simulation, and
/// the reason simulated evidence is refused by default.
pub const DEVNET_ROOT_SEED_LABEL: &[u8] =
    b"mcnode devnet simulation root (public, protects nothing)";

/// The simulated root ("manufacturer") key. SIMULATION ONLY.
pub struct SimRootKey {
    key: SigningIdentity,
}

impl std::fmt::Debug for SimRootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimRootKey")
            .field("public", &hex::encode(self.public()))
            .finish_non_exhaustive()
    }
}

impl SimRootKey {
    /// A root key from 32 secret bytes supplied by the caller.
    pub fn from_seed(seed: [u8; 32]) -> SimRootKey {
        SimRootKey { key: SigningIdentity::from_seed(&seed) }
    }

    /// The devnet simulation root, derived from [`DEVNET_ROOT_SEED_LABEL`] (public knowledge).
    pub fn devnet() -> SimRootKey {
        SimRootKey::from_seed(Hash32::digest(b"mcnode-sim-root-seed-v1", DEVNET_ROOT_SEED_LABEL).0)
    }

    /// The public key a verifier configures as its trust anchor for tee type `sim`.
    pub fn public(&self) -> [u8; 32] {
        self.key.verifying().to_bytes()
    }

    /// Certifies a platform key for `[not_before, not_after]`.
    pub fn certify(
        &self,
        platform_key: &[u8; 32],
        not_before: u64,
        not_after: u64,
    ) -> PlatformCert {
        let msg = PlatformCert::signing_bytes(platform_key, not_before, not_after);
        PlatformCert {
            platform_key: *platform_key,
            not_before,
            not_after,
            root_signature: self.key.sign(&msg).0,
        }
    }
}

/// The identity of an enclave program as the platform measures it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimProgram {
    /// Hash of the enclave program.
    pub measurement: Hash32,
    /// Who released it.
    pub signer: Hash32,
    /// Product id.
    pub product_id: u16,
    /// Security version.
    pub security_version: u16,
    /// Debug mode (never trusted by the verifier).
    pub debug: bool,
}

/// A 256-bit sealing key bound to one enclave measurement. Zeroed on drop; never printed.
pub struct SealingKey(Zeroizing<[u8; 32]>);

impl SealingKey {
    /// The key bytes (for the AEAD).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

/// A simulated platform: a certified quoting key plus the platform secret from which sealing
/// keys are derived. SIMULATION ONLY: both live in operator-readable memory.
pub struct SimPlatform {
    key: SigningIdentity,
    cert: PlatformCert,
    secret: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SimPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimPlatform")
            .field("platform_key", &hex::encode(self.cert.platform_key))
            .field("not_before", &self.cert.not_before)
            .field("not_after", &self.cert.not_after)
            .finish_non_exhaustive()
    }
}

impl SimPlatform {
    /// A platform whose quoting key and secret derive from `seed` (caller's randomness), with a
    /// certificate from `root` valid for `[not_before, not_after]`.
    pub fn new(root: &SimRootKey, seed: [u8; 32], not_before: u64, not_after: u64) -> SimPlatform {
        let key =
            SigningIdentity::from_seed(&Hash32::digest(b"mcnode-sim-platform-key-v1", &seed).0);
        let secret = Zeroizing::new(Hash32::digest(b"mcnode-sim-platform-secret-v1", &seed).0);
        let cert = root.certify(&key.verifying().to_bytes(), not_before, not_after);
        SimPlatform { key, cert, secret }
    }

    /// The devnet platform: certified by [`SimRootKey::devnet`] for all time, seeded from a
    /// caller-chosen `seed` (a node's data directory keeps it so sealing survives restarts).
    pub fn devnet(seed: [u8; 32]) -> SimPlatform {
        SimPlatform::new(&SimRootKey::devnet(), seed, 0, u64::MAX)
    }

    /// The platform certificate.
    pub fn cert(&self) -> &PlatformCert {
        &self.cert
    }

    /// Signs a quote with arbitrary report data (tests use this to build bad evidence).
    pub fn quote_raw(
        &self,
        program: &SimProgram,
        report_data: [u8; 64],
        issued_at: u64,
        expires_at: u64,
    ) -> SimQuote {
        let body = SimQuoteBody {
            tee: TeeType::Sim,
            measurement: program.measurement,
            signer: program.signer,
            product_id: program.product_id,
            security_version: program.security_version,
            debug: program.debug,
            issued_at,
            expires_at,
            report_data,
        };
        let signature = self.key.sign(&body.signing_bytes()).0;
        SimQuote { body, cert: self.cert.clone(), signature }
    }

    /// Evidence for `program` binding `claims`, issued at `now` and valid for `validity_secs`.
    pub fn attest(
        &self,
        program: &SimProgram,
        claims: ReportClaims,
        now: u64,
        validity_secs: u64,
    ) -> Evidence {
        let quote =
            self.quote_raw(program, claims.report_data(), now, now.saturating_add(validity_secs));
        Evidence { platform: PlatformEvidence::Sim(quote), claims }
    }

    /// The sealing key of the enclave with `measurement` on this platform:
    /// `H("mcnode-sim-seal-key-v1", platform secret || measurement)`. A different measurement
    /// or platform yields an unrelated key.
    pub fn sealing_key(&self, measurement: &Hash32) -> SealingKey {
        let mut input = Zeroizing::new([0u8; 64]);
        input[..32].copy_from_slice(self.secret.as_ref());
        input[32..].copy_from_slice(measurement.as_bytes());
        SealingKey(Zeroizing::new(Hash32::digest(b"mcnode-sim-seal-key-v1", input.as_ref()).0))
    }
}
