//! The [`PlatformVerifier`] for the simulated platform (SIMULATION ONLY: see [`crate::sim`]).
//!
//! Authentication: the platform certificate must be signed by a configured `sim` anchor and be
//! valid at `now`; the quote body must be signed by the certified platform key. Signatures are
//! checked with strict Ed25519 verification (`mcnode_crypto::VerifyingIdentity::verify`) (no malleable or small-order keys).

use mcnode_crypto::{Ed25519Signature, VerifyingIdentity};

use crate::evidence::{PlatformCert, PlatformEvidence, TeeType};
use crate::verify::{Failure, PlatformClaims, PlatformVerifier, TrustAnchor};

/// Verifies quotes of the simulated platform.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimVerifier;

fn verifies(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    VerifyingIdentity::from_bytes(key)
        .map(|k| k.verify(msg, &Ed25519Signature(*sig)).is_ok())
        .unwrap_or(false)
}

impl PlatformVerifier for SimVerifier {
    fn tee(&self) -> TeeType {
        TeeType::Sim
    }

    fn authenticate(
        &self,
        evidence: &PlatformEvidence,
        anchors: &[TrustAnchor],
        now: u64,
    ) -> Result<(PlatformClaims, Vec<Failure>), Failure> {
        let PlatformEvidence::Sim(q) = evidence;
        let mut failures = Vec::new();
        let cert = &q.cert;
        let cert_msg =
            PlatformCert::signing_bytes(&cert.platform_key, cert.not_before, cert.not_after);
        let anchors: Vec<&TrustAnchor> = anchors.iter().filter(|a| a.tee == TeeType::Sim).collect();
        if anchors.is_empty() {
            failures.push(Failure::NoAnchor { tee: TeeType::Sim });
        } else if !anchors.iter().any(|a| verifies(&a.root_key, &cert_msg, &cert.root_signature)) {
            failures.push(Failure::UntrustedChain);
        }
        if now < cert.not_before || now > cert.not_after {
            failures.push(Failure::CertificateNotValid {
                not_before: cert.not_before,
                not_after: cert.not_after,
                now,
            });
        }
        if !verifies(&cert.platform_key, &q.body.signing_bytes(), &q.signature) {
            failures.push(Failure::BadQuoteSignature);
        }
        let b = &q.body;
        let claims = PlatformClaims {
            tee: TeeType::Sim,
            measurement: b.measurement,
            signer: b.signer,
            product_id: b.product_id,
            security_version: b.security_version,
            debug: b.debug,
            issued_at: b.issued_at,
            expires_at: b.expires_at,
            report_data: b.report_data,
        };
        Ok((claims, failures))
    }
}
