//! Attestation for mcnode: what an enclave shows to prove what it is, and how peers and clients
//! decide whether to believe it.
//!
//! - [`evidence`]: evidence types and their strict canonical/JSON encodings.
//! - [`evidence_file`]: evidence files for operators, whose one authority is the canonical
//!   bytes (every other part must agree with them).
//! - [`sim`]: the SIMULATED platform (root key -> platform key -> quote; sealing keys).
//!   **SIMULATION ONLY**: its keys live in operator-readable memory and protect nothing against
//!   the operator.
//! - [`Verifier`] / [`Policy`]: one policy for every tee type, applied to claims normalised by a
//!   per-platform [`PlatformVerifier`] (the seam where SGX/TDX DCAP, SEV-SNP and Nitro backends
//!   plug in; none is implemented yet).
//! - [`measurements`]: the `trusted-measurements` allow-list file (current + next release).
//!
//! Guarantees: the trust anchor always comes from the [`Policy`] (configuration), never from the
//! evidence; simulated evidence is refused unless the build has the `simulated` feature **and**
//! the policy sets `allow_simulated`, and each acceptance logs a warning; verification is a pure
//! function of (evidence, policy, expected values, `now`); decoding never panics (fuzzed by
//! [`fuzzing::fuzz_evidence`]).

pub mod evidence;
pub mod evidence_file;
pub mod fuzzing;
pub mod measurements;
pub mod sim;
mod sim_verify;
mod verify;

#[cfg(test)]
mod tests;

pub use evidence::{Evidence, EvidenceDecodeError, PlatformEvidence, ReportClaims, TeeType};
pub use measurements::{MeasurementRule, MeasurementsError, TrustedMeasurements};
pub use sim_verify::SimVerifier;
pub use verify::{
    Assessment, DEFAULT_MAX_FUTURE_SKEW_SECS, Expected, Failure, PlatformClaims, PlatformVerifier,
    Policy, Refusal, SIMULATION_BUILD, TrustAnchor, VerifiedClaims, Verifier,
};
