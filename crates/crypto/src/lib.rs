//! Keys, signatures and domain-separated hashing for mcnode (a thin, documented layer over the
//! dalek crates).
//!
//! What this crate is for: every other crate that needs elliptic-curve keys or hashing into the
//! curve goes through here, so that each use of a hash has exactly one documented domain tag
//! ([`domain`]) and secret material has one type that behaves safely.
//!
//! What it guarantees:
//! - [`RistrettoPrivate`] and [`SigningIdentity`] zeroize on drop, compare in constant time and
//!   print as `<redacted>` in `Debug`; they have no `Display`.
//! - [`hash_to_scalar`] / [`hash_to_point`] are Blake2b-512 over `len(tag) ‖ tag ‖ data`, mapped
//!   with the wide reduction / Ristretto Elligator map. Distinct tags give independent outputs.
//!   A tag is a [`DomainTag`]: one too long for the length byte is a compile error (constants)
//!   or [`CryptoError::DomainTagTooLong`] (run time), never silently cut.
//! - [`CompressedPoint`] has the canonical 32-byte encoding; decoding to a curve point is an
//!   explicit, fallible step ([`CompressedPoint::decompress`]) with a typed error.
//! - No function reads the clock or the OS random number generator: randomness is an argument
//!   (`rand_core` 0.10 `CryptoRng`, the version curve25519-dalek 5 uses).

pub mod backend;
pub mod domain;
mod ed25519;
mod error;
pub mod fuzzing;
mod hash;
mod keys;

pub use curve25519_dalek::{
    constants::RISTRETTO_BASEPOINT_POINT, ristretto::RistrettoPoint, scalar::Scalar,
};
pub use ed25519::{Ed25519Signature, SigningIdentity, VerifyingIdentity, verify_batch};
pub use error::CryptoError;
pub use hash::{DomainHasher, DomainTag, MAX_DOMAIN_TAG_LEN, hash_to_point, hash_to_scalar};
pub use keys::{CompressedPoint, RistrettoPrivate};
pub use rand_core::CryptoRng;
