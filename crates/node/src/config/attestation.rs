//! `[enclave.attestation]` as the verifier's [`Policy`]: what the enclave accepts from peers.
//!
//! The trust anchor and the allow-list come from this configuration, never from evidence
//! (`mcnode-attest`'s rule). Allow-list: the `trusted_measurements` file, else the inline
//! `measurements`, else the measurement of the enclave built with this release. Trust anchor of
//! the simulated platform: `trust_anchor`, else the public devnet root. Simulated evidence is
//! accepted only with `allow_simulated = true` AND a build with `mcnode-attest`'s `simulated`
//! feature.

use mcnode_attest::measurements::ReleaseMeasurements;
use mcnode_attest::sim::SimRootKey;
use mcnode_attest::{
    MeasurementRule, MeasurementsError, Policy, TeeType, TrustAnchor, TrustedMeasurements,
};

use super::schema::AttestationConfig;

/// Release label of an inline `measurements` list.
pub const INLINE_RELEASE: &str = "node.toml";

impl AttestationConfig {
    /// The allow-list (reads the `trusted_measurements` file when one is configured).
    pub fn allow_list(&self) -> Result<TrustedMeasurements, MeasurementsError> {
        match (&self.trusted_measurements, self.measurements.as_slice()) {
            (Some(path), _) => TrustedMeasurements::load(path),
            (None, []) => Ok(mcnode_enclave::measurement::default_trusted_measurements()),
            (None, list) => Ok(TrustedMeasurements {
                current: ReleaseMeasurements {
                    release: INLINE_RELEASE.to_string(),
                    rules: list.iter().copied().map(MeasurementRule::Exact).collect(),
                },
                next: None,
            }),
        }
    }

    /// Root public key of the simulated platform.
    pub fn sim_root(&self) -> [u8; 32] {
        self.trust_anchor.map_or_else(|| SimRootKey::devnet().public(), |h| h.0)
    }

    /// The verifier policy for peers' evidence.
    pub fn policy(&self) -> Result<Policy, MeasurementsError> {
        let anchors = vec![TrustAnchor { tee: TeeType::Sim, root_key: self.sim_root() }];
        let policy = Policy::new(anchors, self.allow_list()?);
        Ok(if self.allow_simulated { policy.allowing_simulated() } else { policy })
    }
}
