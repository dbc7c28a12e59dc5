//! The verifier: normalises evidence of any tee type to [`PlatformClaims`] and applies one
//! [`Policy`] to it.
//!
//! Checks (each one has a negative test in `tests/verifier.rs`):
//! 1. a backend for the evidence's tee type exists;
//! 2. the quote chains to a trust anchor from the **configuration** (never from the evidence),
//!    every certificate and the quote signature verify, certificates are within their validity;
//! 3. the tee type is allowed by the policy;
//! 4. simulated evidence only if the build has the `simulated` feature AND the policy sets
//!    `allow_simulated` (acceptance then logs a warning);
//! 5. the enclave is not in debug mode;
//! 6. the measurement is on the allow-list, or signer + product id + minimum security version;
//! 7. not expired at `now`, not issued later than `now + max_future_skew_secs`;
//! 8. report data is not all zero, and equals the hash of the claims followed by zeros;
//! 9. the claimed Noise static key equals the key of the channel being opened, the claimed chain
//!    id and configuration digest equal ours.
//!
//! All checks run (none short-circuits after the backend produced claims) so that an operator
//! sees every reason at once; acceptance requires all to pass.

use mcnode_types::Hash32;

use crate::evidence::{Evidence, PlatformEvidence, ReportClaims, TeeType};
use crate::measurements::TrustedMeasurements;

/// Whether this build may accept simulated evidence at all (the `simulated` cargo feature).
pub const SIMULATION_BUILD: bool = cfg!(feature = "simulated");

/// Default tolerance for evidence issued slightly in the future (clock skew), in seconds.
pub const DEFAULT_MAX_FUTURE_SKEW_SECS: u64 = 300;

/// A configured root of trust for one tee type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    /// The tee type it roots.
    pub tee: TeeType,
    /// The root public key (Ed25519 for `sim`).
    pub root_key: [u8; 32],
}

/// What the verifier accepts. Built from configuration, never from evidence.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Roots of trust.
    pub anchors: Vec<TrustAnchor>,
    /// Tee types accepted.
    pub allowed_tees: Vec<TeeType>,
    /// Measurement allow-list.
    pub trusted: TrustedMeasurements,
    /// Configuration opt-in for simulated evidence (also needs [`SIMULATION_BUILD`]).
    pub allow_simulated: bool,
    /// How far in the future `issued_at` may be.
    pub max_future_skew_secs: u64,
}

impl Policy {
    /// The default policy: hardware tee types only, simulated evidence refused. `anchors` and
    /// `trusted` come from configuration.
    pub fn new(anchors: Vec<TrustAnchor>, trusted: TrustedMeasurements) -> Policy {
        Policy {
            anchors,
            allowed_tees: vec![TeeType::SgxDcap, TeeType::TdxDcap, TeeType::SevSnp, TeeType::Nitro],
            trusted,
            allow_simulated: false,
            max_future_skew_secs: DEFAULT_MAX_FUTURE_SKEW_SECS,
        }
    }

    /// The configuration's `allow_simulated = true`: allows tee type `sim` and sets the opt-in
    /// (still refused by builds without the `simulated` feature).
    pub fn allowing_simulated(mut self) -> Policy {
        if !self.allowed_tees.contains(&TeeType::Sim) {
            self.allowed_tees.push(TeeType::Sim);
        }
        self.allow_simulated = true;
        self
    }

    /// A policy for the simulated platform rooted at `sim_root`: tee `sim` allowed and the
    /// simulation opt-in set. It still refuses everything in a build without the `simulated`
    /// feature.
    pub fn simulated(sim_root: [u8; 32], trusted: TrustedMeasurements) -> Policy {
        let mut p =
            Policy::new(vec![TrustAnchor { tee: TeeType::Sim, root_key: sim_root }], trusted)
                .allowing_simulated();
        p.allowed_tees = vec![TeeType::Sim];
        p
    }
}

/// What the verifier compares the claims with. `None` skips a comparison (only for offline
/// inspection such as `mcnode attest verify`; channels always set all three).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// Our chain id.
    pub chain_id: Option<String>,
    /// Our configuration digest.
    pub config_digest: Option<Hash32>,
    /// The Noise static key of the channel the evidence arrived on.
    pub noise_static: Option<[u8; 32]>,
}

/// Platform facts after a backend has parsed and authenticated its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformClaims {
    /// Tee family.
    pub tee: TeeType,
    /// Program measurement.
    pub measurement: Hash32,
    /// Program signer.
    pub signer: Hash32,
    /// Product id.
    pub product_id: u16,
    /// Security version.
    pub security_version: u16,
    /// Debug mode.
    pub debug: bool,
    /// Issue time, Unix seconds.
    pub issued_at: u64,
    /// Expiry time, Unix seconds.
    pub expires_at: u64,
    /// The 64 bytes of report data.
    pub report_data: [u8; 64],
}

/// Evidence that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClaims {
    /// Normalised platform facts.
    pub platform: PlatformClaims,
    /// The enclave's claims (bound by the report data).
    pub claims: ReportClaims,
}

/// One failed check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// No backend for this tee type in this build.
    #[error("no verifier for tee type {tee} in this build")]
    NoBackend {
        /// The tee type.
        tee: TeeType,
    },
    /// The configuration has no anchor for this tee type.
    #[error("no trust anchor configured for tee type {tee}")]
    NoAnchor {
        /// The tee type.
        tee: TeeType,
    },
    /// The platform certificate is not signed by any configured anchor.
    #[error("platform certificate does not chain to a configured trust anchor")]
    UntrustedChain,
    /// The platform certificate is outside its validity window at `now`.
    #[error("platform certificate valid {not_before}..{not_after}, now is {now}")]
    CertificateNotValid {
        /// Start of validity.
        not_before: u64,
        /// End of validity.
        not_after: u64,
        /// The verification time.
        now: u64,
    },
    /// The quote signature does not verify under the certified platform key.
    #[error("quote signature does not verify under the platform key")]
    BadQuoteSignature,
    /// Tee type not allowed by the policy.
    #[error("tee type {tee} is not allowed by the policy")]
    TeeNotAllowed {
        /// The tee type.
        tee: TeeType,
    },
    /// Simulated evidence in a build without the `simulated` feature.
    #[error("simulated evidence refused: this build does not include the `simulated` feature")]
    SimulationNotBuilt,
    /// Simulated evidence without `allow_simulated = true`.
    #[error("simulated evidence refused: configuration does not set allow_simulated = true")]
    SimulationNotAllowed,
    /// Debug enclave.
    #[error("enclave runs in debug mode (its memory is readable by the host)")]
    DebugEnclave,
    /// Measurement not allowed.
    #[error(
        "measurement {measurement} (signer {signer}, product {product_id}, security version \
         {security_version}) is not on the allow-list"
    )]
    MeasurementNotTrusted {
        /// Measurement.
        measurement: Hash32,
        /// Signer.
        signer: Hash32,
        /// Product id.
        product_id: u16,
        /// Security version.
        security_version: u16,
    },
    /// Expired.
    #[error("evidence expired at {expires_at}, now is {now}")]
    Expired {
        /// Expiry.
        expires_at: u64,
        /// Verification time.
        now: u64,
    },
    /// Issued in the future beyond the allowed skew.
    #[error("evidence issued at {issued_at}, more than {skew}s after now ({now})")]
    FromFuture {
        /// Issue time.
        issued_at: u64,
        /// Verification time.
        now: u64,
        /// Allowed skew.
        skew: u64,
    },
    /// Report data is all zero (some platforms produce it when the enclave supplies none).
    #[error("report data is all zero")]
    ReportDataAllZero,
    /// Report data is not the hash of the claims followed by zeros.
    #[error("report data does not bind the claims (expected {expected} followed by zeros)")]
    ReportDataMismatch {
        /// The claims hash expected in the first 32 bytes.
        expected: Hash32,
    },
    /// The evidence names another Noise key than the channel's.
    #[error(
        "evidence is for Noise key {}, channel key is {}",
        hex::encode(.claimed),
        hex::encode(.channel)
    )]
    NoiseKeyMismatch {
        /// Key in the claims.
        claimed: [u8; 32],
        /// Key of the channel.
        channel: [u8; 32],
    },
    /// Other chain.
    #[error("evidence is for chain {claimed:?}, ours is {expected:?}")]
    ChainIdMismatch {
        /// Claimed.
        claimed: String,
        /// Ours.
        expected: String,
    },
    /// Other configuration.
    #[error("evidence is for configuration {claimed}, ours is {expected}")]
    ConfigDigestMismatch {
        /// Claimed.
        claimed: Hash32,
        /// Ours.
        expected: Hash32,
    },
}

/// Evidence refused, with every failed check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("attestation refused: {}", .failures.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; "))]
pub struct Refusal {
    /// The failed checks, in check order.
    pub failures: Vec<Failure>,
}

/// The seam for hardware backends (SGX/TDX DCAP via `dcap-qvl`, SEV-SNP via `sev`, Nitro
/// attestation documents via COSE + the AWS root). A backend authenticates its own evidence
/// format against the configured anchors (chain, signatures, certificate/collateral validity at
/// `now`, platform TCB status) and normalises it to [`PlatformClaims`]. It must not apply policy
/// (debug, allow-list, expiry of the quote, report data, claims): the [`Verifier`] does that once
/// for every tee type.
pub trait PlatformVerifier: Send + Sync {
    /// The tee type this backend verifies.
    fn tee(&self) -> TeeType;

    /// Authenticates `evidence` against `anchors` (only those for [`PlatformVerifier::tee`]),
    /// returning the normalised claims and the failed authentication checks (empty = authentic).
    /// Claims are returned even when authentication fails so that every problem can be
    /// reported; the verifier never accepts evidence with any failure.
    fn authenticate(
        &self,
        evidence: &PlatformEvidence,
        anchors: &[TrustAnchor],
        now: u64,
    ) -> Result<(PlatformClaims, Vec<Failure>), Failure>;
}

/// The result of running every check.
#[derive(Clone, Debug)]
pub struct Assessment {
    /// Normalised claims, if a backend could read the evidence.
    pub platform: Option<PlatformClaims>,
    /// Failed checks (empty = accepted).
    pub failures: Vec<Failure>,
    /// Checks not run because `Expected` left them out.
    pub skipped: Vec<&'static str>,
}

/// Verifies evidence against a policy.
pub struct Verifier {
    policy: Policy,
    backends: Vec<Box<dyn PlatformVerifier>>,
    simulation_build: bool,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("policy", &self.policy)
            .field("backends", &self.backends.iter().map(|b| b.tee()).collect::<Vec<_>>())
            .finish()
    }
}

impl Verifier {
    /// A verifier with every backend of this build (today: the simulated platform).
    pub fn new(policy: Policy) -> Verifier {
        Verifier {
            policy,
            backends: vec![Box::new(crate::sim_verify::SimVerifier)],
            simulation_build: SIMULATION_BUILD,
        }
    }

    /// Adds a backend (the seam for hardware platforms).
    pub fn with_backend(mut self, backend: Box<dyn PlatformVerifier>) -> Verifier {
        self.backends.push(backend);
        self
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Overrides the build's simulation switch. Only for this crate's tests, which must show
    /// that a build without the feature refuses simulated evidence.
    #[cfg(test)]
    pub(crate) fn with_simulation_build(mut self, on: bool) -> Verifier {
        self.simulation_build = on;
        self
    }

    /// Runs every check and returns all outcomes.
    pub fn assess(&self, evidence: &Evidence, expected: &Expected, now: u64) -> Assessment {
        let tee = evidence.platform.tee();
        let mut failures = Vec::new();
        let mut skipped = Vec::new();
        let Some(backend) = self.backends.iter().find(|b| b.tee() == tee) else {
            return Assessment {
                platform: None,
                failures: vec![Failure::NoBackend { tee }],
                skipped,
            };
        };
        let anchors: Vec<TrustAnchor> =
            self.policy.anchors.iter().filter(|a| a.tee == tee).cloned().collect();
        let p = match backend.authenticate(&evidence.platform, &anchors, now) {
            Ok((p, auth_failures)) => {
                failures.extend(auth_failures);
                p
            }
            Err(f) => return Assessment { platform: None, failures: vec![f], skipped },
        };
        if !self.policy.allowed_tees.contains(&p.tee) {
            failures.push(Failure::TeeNotAllowed { tee: p.tee });
        }
        if p.tee == TeeType::Sim {
            if !self.simulation_build {
                failures.push(Failure::SimulationNotBuilt);
            }
            if !self.policy.allow_simulated {
                failures.push(Failure::SimulationNotAllowed);
            }
        }
        if p.debug {
            failures.push(Failure::DebugEnclave);
        }
        if !self.policy.trusted.allows(&p.measurement, &p.signer, p.product_id, p.security_version)
        {
            failures.push(Failure::MeasurementNotTrusted {
                measurement: p.measurement,
                signer: p.signer,
                product_id: p.product_id,
                security_version: p.security_version,
            });
        }
        if now >= p.expires_at {
            failures.push(Failure::Expired { expires_at: p.expires_at, now });
        }
        let skew = self.policy.max_future_skew_secs;
        if p.issued_at > now.saturating_add(skew) {
            failures.push(Failure::FromFuture { issued_at: p.issued_at, now, skew });
        }
        if p.report_data.iter().all(|&b| b == 0) {
            failures.push(Failure::ReportDataAllZero);
        }
        let claims = &evidence.claims;
        if p.report_data != claims.report_data() {
            failures.push(Failure::ReportDataMismatch { expected: claims.digest() });
        }
        match expected.noise_static {
            Some(channel) if channel != claims.noise_static => {
                failures.push(Failure::NoiseKeyMismatch { claimed: claims.noise_static, channel })
            }
            Some(_) => {}
            None => skipped.push("Noise key equals the channel's key (no channel)"),
        }
        match &expected.chain_id {
            Some(ours) if *ours != claims.chain_id => failures.push(Failure::ChainIdMismatch {
                claimed: claims.chain_id.clone(),
                expected: ours.clone(),
            }),
            Some(_) => {}
            None => skipped.push("chain id equals ours (no chain id given)"),
        }
        match expected.config_digest {
            Some(ours) if ours != claims.config_digest => {
                failures.push(Failure::ConfigDigestMismatch {
                    claimed: claims.config_digest,
                    expected: ours,
                })
            }
            Some(_) => {}
            None => skipped.push("configuration digest equals ours (no digest given)"),
        }
        Assessment { platform: Some(p), failures, skipped }
    }

    /// Accepts the evidence only if every check passes. Accepting simulated evidence logs a
    /// warning: it proves nothing against the operator.
    pub fn verify(
        &self,
        evidence: &Evidence,
        expected: &Expected,
        now: u64,
    ) -> Result<VerifiedClaims, Refusal> {
        let a = self.assess(evidence, expected, now);
        match a.platform {
            Some(platform) if a.failures.is_empty() => {
                if platform.tee == TeeType::Sim {
                    tracing::warn!(
                        measurement = %platform.measurement,
                        "ACCEPTED SIMULATED ATTESTATION EVIDENCE: the simulated platform protects \
                         nothing against the node operator; never use it for real funds"
                    );
                }
                Ok(VerifiedClaims { platform, claims: evidence.claims.clone() })
            }
            _ => Err(Refusal { failures: a.failures }),
        }
    }
}
