//! 32-byte hashes and domain-separated hashing.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::encoding::Encode;

/// A 32-byte hash (SHA-256 unless a caller documents otherwise). Displays as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash32(pub [u8; 32]);

/// Why a string is not a hex-encoded [`Hash32`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseHashError {
    /// The string does not have exactly 64 characters.
    #[error("a hash is 64 hex characters, got {len}")]
    Length {
        /// Length of the input in bytes.
        len: usize,
    },
    /// A character outside `0-9a-fA-F`.
    #[error("invalid hex character at position {position}")]
    Character {
        /// Byte offset of the bad character.
        position: usize,
    },
}

impl Hash32 {
    /// The all-zero hash, used where a protocol needs "no value".
    pub const ZERO: Hash32 = Hash32([0; 32]);

    /// Domain-separated SHA-256: `SHA-256(len(domain) as u8 || domain || data)`.
    ///
    /// Every use in the project passes its own tag (for example `b"mcnode-scp-qset-v1"`) so
    /// that a hash computed for one purpose can never be replayed as another.
    /// Tags longer than 255 bytes are truncated in the length byte's sense: callers use short
    /// constant tags, and a debug assertion guards it.
    pub fn digest(domain: &[u8], data: &[u8]) -> Hash32 {
        debug_assert!(domain.len() <= 255, "domain tags are short constants");
        let mut h = Sha256::new();
        h.update([domain.len().min(255) as u8]);
        h.update(domain);
        h.update(data);
        Hash32(h.finalize().into())
    }

    /// Domain-separated hash of a value's canonical encoding.
    pub fn of<T: Encode + ?Sized>(domain: &[u8], value: &T) -> Hash32 {
        Hash32::digest(domain, &value.to_canonical_bytes())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 0xf) as usize] as char);
        }
        s
    }

    /// Short form for logs: the first 8 hex characters.
    pub fn short(&self) -> String {
        self.to_hex()[..8].to_string()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl FromStr for Hash32 {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return Err(ParseHashError::Length { len: b.len() });
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            let hi = hex_val(b[2 * i]).ok_or(ParseHashError::Character { position: 2 * i })?;
            let lo =
                hex_val(b[2 * i + 1]).ok_or(ParseHashError::Character { position: 2 * i + 1 })?;
            *o = (hi << 4) | lo;
        }
        Ok(Hash32(out))
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash32({})", self.short())
    }
}

impl From<[u8; 32]> for Hash32 {
    fn from(b: [u8; 32]) -> Self {
        Hash32(b)
    }
}

impl serde::Serialize for Hash32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Hash32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn digest_is_domain_separated() {
        assert_ne!(Hash32::digest(b"a", b"bc"), Hash32::digest(b"ab", b"c"));
        assert_ne!(Hash32::digest(b"x", b""), Hash32::digest(b"y", b""));
    }

    #[test]
    fn parse_errors_are_typed() {
        assert_eq!("ab".parse::<Hash32>(), Err(ParseHashError::Length { len: 2 }));
        let mut s = "0".repeat(64);
        s.replace_range(5..6, "g");
        assert_eq!(s.parse::<Hash32>(), Err(ParseHashError::Character { position: 5 }));
    }

    proptest! {
        #[test]
        fn hex_round_trips(b in any::<[u8; 32]>()) {
            let h = Hash32(b);
            prop_assert_eq!(h.to_hex().parse::<Hash32>().unwrap(), h);
            prop_assert_eq!(h.to_hex().to_uppercase().parse::<Hash32>().unwrap(), h);
        }
    }
}
