//! How the enclave attests its PEER enclaves (issue 10 item 3): under the operator's policy,
//! passed in at `Init`, never a built-in one.
//!
//! A [`PeerPolicy`] names the trust anchors (roots of the platforms' certificate chains), the
//! measurement rules (exact measurements, or signer + product + minimum security version), and
//! whether SIMULATED evidence is allowed. Simulated evidence is accepted only if the build has
//! the `simulated` feature AND the policy sets `allow_simulated`; every acceptance logs the
//! loud warning of `mcnode_attest::Verifier::verify`. [`PeerPolicy::default`] allows nothing.
//!
//! The policy is part of the attested configuration ([`crate::call::config_digest`] covers
//! [`PeerPolicy::encode`]): an operator who points its enclave at an anchor it controls gets
//! evidence with another digest, which correctly configured clients and peers refuse. So the
//! operator cannot quietly make its own enclave relay plaintext transactions to a fake "peer".
//!
//! A peer session is also bound to the peer the host names: the node id in the peer's verified
//! claims (which its enclave attests, see `InitParams::node_id`) must equal that node id
//! (`ChannelError::PeerIdMismatch`), so a genuine enclave cannot stand in for another node.

use mcnode_attest::measurements::ReleaseMeasurements;
use mcnode_attest::{MeasurementRule, Policy, TeeType, TrustAnchor, TrustedMeasurements};
use mcnode_types::{Decode, DecodeError, Encode, Hash32, Reader};

/// Most trust anchors a policy may name.
pub const MAX_ANCHORS: u32 = 64;
/// Most measurement rules a policy may name.
pub const MAX_RULES: u32 = 256;

/// The operator's policy for peer enclaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerPolicy {
    /// Roots of trust (from configuration).
    pub anchors: Vec<TrustAnchor>,
    /// Allowed programs (the current and next release's rules, flattened).
    pub measurements: Vec<MeasurementRule>,
    /// The configuration's explicit opt-in to simulated evidence.
    pub allow_simulated: bool,
}

impl PeerPolicy {
    /// A policy from configuration: `anchors`, every rule of `trusted`, and the opt-in.
    pub fn new(
        anchors: Vec<TrustAnchor>,
        trusted: &TrustedMeasurements,
        allow_simulated: bool,
    ) -> PeerPolicy {
        PeerPolicy { anchors, measurements: trusted.rules().cloned().collect(), allow_simulated }
    }

    /// The verifier policy: hardware tee types, plus `sim` only with `allow_simulated`.
    pub fn to_policy(&self) -> Policy {
        let trusted = TrustedMeasurements {
            current: ReleaseMeasurements {
                release: "configured peers".to_owned(),
                rules: self.measurements.clone(),
            },
            next: None,
        };
        let p = Policy::new(self.anchors.clone(), trusted);
        if self.allow_simulated { p.allowing_simulated() } else { p }
    }
}

fn tee(r: &mut Reader<'_>) -> Result<TeeType, DecodeError> {
    let tag = u8::decode(r)?;
    TeeType::from_tag(tag).ok_or(DecodeError::InvalidTag { what: "tee type", tag })
}

impl Encode for PeerPolicy {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.anchors.len() as u32).encode(out);
        for a in &self.anchors {
            a.tee.tag().encode(out);
            a.root_key.encode(out);
        }
        (self.measurements.len() as u32).encode(out);
        for m in &self.measurements {
            match m {
                MeasurementRule::Exact(h) => {
                    out.push(0);
                    h.encode(out);
                }
                MeasurementRule::Signer { signer, product_id, min_security_version } => {
                    out.push(1);
                    signer.encode(out);
                    product_id.encode(out);
                    min_security_version.encode(out);
                }
            }
        }
        self.allow_simulated.encode(out);
    }
}

impl Decode for PeerPolicy {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.seq_len(MAX_ANCHORS)?;
        let mut anchors = Vec::with_capacity(n);
        for _ in 0..n {
            anchors.push(TrustAnchor { tee: tee(r)?, root_key: r.array()? });
        }
        let n = r.seq_len(MAX_RULES)?;
        let mut measurements = Vec::with_capacity(n);
        for _ in 0..n {
            measurements.push(match u8::decode(r)? {
                0 => MeasurementRule::Exact(Hash32::decode(r)?),
                1 => MeasurementRule::Signer {
                    signer: Hash32::decode(r)?,
                    product_id: u16::decode(r)?,
                    min_security_version: u16::decode(r)?,
                },
                tag => return Err(DecodeError::InvalidTag { what: "measurement rule", tag }),
            });
        }
        Ok(PeerPolicy { anchors, measurements, allow_simulated: bool::decode(r)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_default_allows_nothing() {
        let p = PeerPolicy {
            anchors: vec![TrustAnchor { tee: TeeType::Sim, root_key: [7; 32] }],
            measurements: vec![
                MeasurementRule::Exact(Hash32([1; 32])),
                MeasurementRule::Signer {
                    signer: Hash32([2; 32]),
                    product_id: 3,
                    min_security_version: 4,
                },
            ],
            allow_simulated: true,
        };
        let bytes = p.to_canonical_bytes();
        assert_eq!(PeerPolicy::from_canonical_bytes(&bytes).unwrap(), p);
        let d = PeerPolicy::default().to_policy();
        assert!(d.anchors.is_empty() && !d.allow_simulated);
        assert!(!d.allowed_tees.contains(&TeeType::Sim));
        assert_eq!(d.trusted.rules().count(), 0);
        assert!(p.to_policy().allowed_tees.contains(&TeeType::Sim));
        let mut bad = bytes.clone();
        bad[4] = 0; // tee tag 0 names no tee type
        assert!(PeerPolicy::from_canonical_bytes(&bad).is_err());
    }
}
