//! Sealing: authenticated encryption of an enclave secret (the block-signing key) so that it
//! survives restarts and only an enclave with the same measurement on the same platform can
//! read it back.
//!
//! The key comes from the platform (`SimPlatform::sealing_key(measurement)`, the analogue of SGX
//! `EGETKEY` with the MRENCLAVE policy): `H(platform secret || measurement)`. The blob is
//! `version:u8(=1) || measurement:[32] || nonce:[24] || XChaCha20-Poly1305(plaintext)`, with
//! version and measurement as associated data. A blob sealed under another measurement is
//! refused before decryption (its header names the other measurement) and could not decrypt
//! anyway (another key); any changed byte fails authentication.
//!
//! With the SIMULATED platform the platform secret is in operator-readable memory: sealing then
//! protects against accidents (a wrong build, a corrupted file), not against the operator.
//! There is no rollback protection: an old blob of the same measurement still unseals.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use mcnode_attest::sim::SealingKey;
use mcnode_types::Hash32;
use zeroize::Zeroizing;

/// Version byte of sealed blobs.
pub const SEALED_VERSION: u8 = 1;
/// Header: version, measurement, nonce.
pub const HEADER_LEN: usize = 1 + 32 + 24;
/// Smallest possible blob (header + tag).
pub const MIN_BLOB_LEN: usize = HEADER_LEN + 16;

/// Why a blob does not unseal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealingError {
    /// Shorter than a header and a tag.
    #[error("sealed blob is {len} bytes, at least {min} are needed")]
    Truncated {
        /// Its length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// Unknown version.
    #[error("sealed blob version {version} is not supported")]
    Version {
        /// The version byte.
        version: u8,
    },
    /// Sealed by an enclave with another measurement.
    #[error("sealed by enclave {sealed_for}, this enclave is {ours}")]
    ForeignMeasurement {
        /// Measurement in the blob's header.
        sealed_for: Hash32,
        /// Ours.
        ours: Hash32,
    },
    /// Authentication failed: the blob was changed, or sealed on another platform.
    #[error("sealed blob failed authentication (tampered, or sealed on another platform)")]
    Tampered,
}

fn aad(measurement: &Hash32) -> [u8; 33] {
    let mut a = [0u8; 33];
    a[0] = SEALED_VERSION;
    a[1..].copy_from_slice(measurement.as_bytes());
    a
}

/// Seals `plaintext` for the enclave with `measurement`, under `key` (the platform's sealing
/// key for that measurement). `nonce` must be fresh random bytes.
pub fn seal(
    key: &SealingKey,
    measurement: &Hash32,
    plaintext: &[u8],
    nonce: [u8; 24],
) -> Result<Vec<u8>, SealingError> {
    let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
    let header = aad(measurement);
    let ct = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &header })
        .map_err(|_| SealingError::Tampered)?;
    let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Unseals a blob for the enclave with `measurement`.
pub fn unseal(
    key: &SealingKey,
    measurement: &Hash32,
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealingError> {
    if blob.len() < MIN_BLOB_LEN {
        return Err(SealingError::Truncated { len: blob.len(), min: MIN_BLOB_LEN });
    }
    if blob[0] != SEALED_VERSION {
        return Err(SealingError::Version { version: blob[0] });
    }
    let mut sealed_for = [0u8; 32];
    sealed_for.copy_from_slice(&blob[1..33]);
    let sealed_for = Hash32(sealed_for);
    if sealed_for != *measurement {
        return Err(SealingError::ForeignMeasurement { sealed_for, ours: *measurement });
    }
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&blob[33..HEADER_LEN]);
    let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: &blob[HEADER_LEN..], aad: &blob[..33] })
        .map(Zeroizing::new)
        .map_err(|_| SealingError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_attest::sim::{SimPlatform, SimRootKey};

    const SECRET: &[u8] = b"block signing key bytes (32 of them)";

    fn platform(seed: u8) -> SimPlatform {
        SimPlatform::new(&SimRootKey::from_seed([1; 32]), [seed; 32], 0, u64::MAX)
    }

    #[test]
    fn round_trip() {
        let p = platform(2);
        let m = Hash32([3; 32]);
        let blob = seal(&p.sealing_key(&m), &m, SECRET, [4; 24]).unwrap();
        assert_eq!(blob.len(), MIN_BLOB_LEN + SECRET.len());
        assert_eq!(unseal(&p.sealing_key(&m), &m, &blob).unwrap().as_slice(), SECRET);
        assert!(!blob.windows(SECRET.len()).any(|w| w == SECRET), "plaintext visible in the blob");
    }

    #[test]
    fn tampered_blob_refused_at_every_byte() {
        let p = platform(2);
        let m = Hash32([3; 32]);
        let key = p.sealing_key(&m);
        let blob = seal(&key, &m, SECRET, [4; 24]).unwrap();
        for i in 0..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x01;
            assert!(unseal(&key, &m, &t).is_err(), "flipped byte {i} accepted");
        }
        let mut t = blob.clone();
        *t.last_mut().unwrap() ^= 0x80;
        assert_eq!(unseal(&key, &m, &t), Err(SealingError::Tampered));
        let mut v = blob.clone();
        v[0] = 9;
        assert_eq!(unseal(&key, &m, &v), Err(SealingError::Version { version: 9 }));
    }

    #[test]
    fn truncated_blob_refused() {
        let p = platform(2);
        let m = Hash32([3; 32]);
        let key = p.sealing_key(&m);
        let blob = seal(&key, &m, SECRET, [4; 24]).unwrap();
        for n in 0..blob.len() {
            let r = unseal(&key, &m, &blob[..n]);
            if n < MIN_BLOB_LEN {
                assert_eq!(r, Err(SealingError::Truncated { len: n, min: MIN_BLOB_LEN }));
            } else {
                assert_eq!(r, Err(SealingError::Tampered), "truncated to {n}");
            }
        }
    }

    #[test]
    fn foreign_measurement_refused() {
        let p = platform(2);
        let mine = Hash32([3; 32]);
        let other = Hash32([9; 32]);
        let blob = seal(&p.sealing_key(&other), &other, SECRET, [4; 24]).unwrap();
        assert_eq!(
            unseal(&p.sealing_key(&mine), &mine, &blob),
            Err(SealingError::ForeignMeasurement { sealed_for: other, ours: mine })
        );
        // Relabelling the header does not help: the key is bound to the measurement.
        let mut relabelled = blob.clone();
        relabelled[1..33].copy_from_slice(mine.as_bytes());
        assert_eq!(unseal(&p.sealing_key(&mine), &mine, &relabelled), Err(SealingError::Tampered));
        // Even with the header's check passing and the right AAD, another measurement's key
        // does not open it (the key derivation binds the measurement).
        let blob_mine = seal(&p.sealing_key(&mine), &mine, SECRET, [4; 24]).unwrap();
        assert_eq!(unseal(&p.sealing_key(&other), &mine, &blob_mine), Err(SealingError::Tampered));
    }

    #[test]
    fn other_platform_cannot_unseal() {
        let m = Hash32([3; 32]);
        let blob = seal(&platform(2).sealing_key(&m), &m, SECRET, [4; 24]).unwrap();
        assert_eq!(unseal(&platform(5).sealing_key(&m), &m, &blob), Err(SealingError::Tampered));
    }
}
