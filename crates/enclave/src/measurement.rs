//! The measurement of the enclave built with this release, and the simulated program identity
//! that goes with it.
//!
//! `build.rs` hashes the trusted code's sources (this crate's and `mcnode-attest`'s `src/`), so
//! the value is reproducible from a checkout and changes whenever trusted code changes. It is
//! the default allow-list when no `trusted-measurements` file is configured, and what
//! `mcnode attest measurement` prints.

use mcnode_attest::TrustedMeasurements;
use mcnode_attest::sim::SimProgram;
use mcnode_types::Hash32;

/// Hex form of [`RELEASE_MEASUREMENT`], computed by `build.rs`.
pub const RELEASE_MEASUREMENT_HEX: &str = env!("MCNODE_ENCLAVE_MEASUREMENT");

/// How many source files the measurement covers (informational).
pub const MEASURED_FILES: &str = env!("MCNODE_ENCLAVE_TRUSTED_FILES");

/// Product id of the consensus enclave.
pub const PRODUCT_ID: u16 = 1;

/// Security version of this release's enclave. Raise it when a release fixes a vulnerability
/// that older enclaves have, so that signer-based allow-lists can require it.
pub const SECURITY_VERSION: u16 = 1;

/// This crate's release.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => 0, // build.rs only emits lowercase hex; a unit test pins the round trip
    }
}

const fn decode_hex(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 && 2 * i + 1 < b.len() {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// The measurement of the enclave built with this release.
pub const RELEASE_MEASUREMENT: Hash32 = Hash32(decode_hex(RELEASE_MEASUREMENT_HEX));

/// The (simulated) signer of mcnode releases. A hardware build would use the hash of the release
/// signing key (MRSIGNER on SGX).
pub fn release_signer() -> Hash32 {
    Hash32::digest(b"mcnode-sim-signer-v1", b"mcnode release signing identity (simulated)")
}

/// The program identity the simulated platform measures for this release's enclave.
pub fn release_program() -> SimProgram {
    SimProgram {
        measurement: RELEASE_MEASUREMENT,
        signer: release_signer(),
        product_id: PRODUCT_ID,
        security_version: SECURITY_VERSION,
        debug: false,
    }
}

/// The default allow-list: exactly this release's measurement.
pub fn default_trusted_measurements() -> TrustedMeasurements {
    TrustedMeasurements::single(RELEASE, RELEASE_MEASUREMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurement_constant_matches_build_output() {
        assert_eq!(RELEASE_MEASUREMENT_HEX.len(), 64);
        assert_eq!(RELEASE_MEASUREMENT.to_hex(), RELEASE_MEASUREMENT_HEX);
        assert_ne!(RELEASE_MEASUREMENT, Hash32::ZERO);
        assert!(MEASURED_FILES.parse::<u32>().unwrap() >= 5);
        assert!(default_trusted_measurements().allows(
            &RELEASE_MEASUREMENT,
            &release_signer(),
            PRODUCT_ID,
            SECURITY_VERSION
        ));
    }
}
