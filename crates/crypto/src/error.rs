//! Errors of the crypto layer.

/// Why a cryptographic input was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// 32 bytes that are not the canonical encoding of a Ristretto point.
    #[error("bytes are not a canonical Ristretto point encoding")]
    InvalidPoint,
    /// 32 bytes that are not a canonical (reduced) scalar.
    #[error("bytes are not a canonical scalar")]
    InvalidScalar,
    /// An Ed25519 public key that does not decode.
    #[error("invalid Ed25519 public key")]
    InvalidVerifyingKey,
    /// An Ed25519 signature that does not verify.
    #[error("Ed25519 signature does not verify")]
    BadSignature,
    /// A domain tag longer than the hash encoding's one-byte length prefix can carry.
    #[error("domain tag of {len} bytes; at most {max} fit the encoding")]
    DomainTagTooLong {
        /// Length of the tag given.
        len: usize,
        /// Longest tag allowed.
        max: usize,
    },
}
