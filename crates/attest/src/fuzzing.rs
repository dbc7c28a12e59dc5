//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.

use crate::evidence::Evidence;

/// Decodes arbitrary bytes as evidence. Whatever decodes must re-encode to the same bytes (one
/// value, one encoding) and survive a JSON round trip; verifying it must not panic.
pub fn fuzz_evidence(data: &[u8]) {
    let Ok(ev) = Evidence::from_bytes(data) else { return };
    assert_eq!(ev.to_bytes(), data, "evidence encoding is not unique");
    let json = serde_json::to_string(&ev).unwrap_or_default();
    let back: Option<Evidence> = serde_json::from_str(&json).ok();
    assert_eq!(back.as_ref(), Some(&ev), "evidence JSON does not round-trip");
    let policy = crate::Policy::simulated(
        crate::sim::SimRootKey::devnet().public(),
        crate::TrustedMeasurements::single("fuzz", ev.claims.config_digest),
    );
    let _ = crate::Verifier::new(policy).assess(&ev, &crate::Expected::default(), 0);
}
