//! Node identifiers: a validator's Ed25519 public key.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::strkey::{self, StrkeyError};

/// A node's identity: the 32 bytes of its Ed25519 public key.
///
/// Displays as a Stellar-style strkey (`G...`, 56 characters, with a checksum); parses either
/// that form or standard base64 (44 characters, as MobileCoin's configuration files use).
/// Ordering is by bytes, which is what every sorted set of nodes in the protocol uses.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub [u8; 32]);

/// Why a string is not a [`NodeId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseNodeIdError {
    /// Neither 56 (strkey) nor 44 (base64) characters.
    #[error("a node id is a 56-character G... key or 44-character base64, got {len} characters")]
    Length {
        /// Length of the input.
        len: usize,
    },
    /// A character that the form does not allow.
    #[error("invalid character at position {position}")]
    Character {
        /// Byte offset of the bad character.
        position: usize,
    },
    /// A strkey for something other than an Ed25519 public key (it does not start with G).
    #[error("not a public-key strkey (public keys start with G)")]
    Version,
    /// The strkey's checksum does not match: a typo.
    #[error("checksum mismatch: the key has a typo")]
    Checksum,
    /// Base64 that does not decode to exactly 32 bytes.
    #[error("base64 does not decode to a 32-byte key")]
    Base64,
}

impl NodeId {
    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Stellar-style strkey (`G...`).
    pub fn to_strkey(&self) -> String {
        strkey::encode_public(&self.0)
    }

    /// Standard base64 with padding.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Short form for logs: the first 5 characters of the strkey after the G.
    pub fn short(&self) -> String {
        self.to_strkey()[1..6].to_string()
    }
}

impl FromStr for NodeId {
    type Err = ParseNodeIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.len() {
            strkey::STRKEY_LEN => strkey::decode_public(s).map(NodeId).map_err(|e| match e {
                StrkeyError::Length => ParseNodeIdError::Length { len: s.len() },
                StrkeyError::Character(position) => ParseNodeIdError::Character { position },
                StrkeyError::Version => ParseNodeIdError::Version,
                StrkeyError::Checksum => ParseNodeIdError::Checksum,
            }),
            44 => {
                let bytes = STANDARD.decode(s).map_err(|_| ParseNodeIdError::Base64)?;
                let arr: [u8; 32] = bytes.try_into().map_err(|_| ParseNodeIdError::Base64)?;
                Ok(NodeId(arr))
            }
            len => Err(ParseNodeIdError::Length { len }),
        }
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_strkey())
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.short())
    }
}

impl serde::Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_strkey())
    }
}

impl<'de> serde::Deserialize<'de> for NodeId {
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
    fn parses_mobilecoin_base64_key() {
        // From the MobileCoin network file crates/fbas/tests/data/mobilecoin_nodes_2021-10-22.json.
        let b64 = "XVfN4JQH+6vkFzrzBNezoknl9eCiz3ZbubwyCeOdt/0=";
        let id: NodeId = b64.parse().unwrap();
        assert_eq!(id.to_base64(), b64);
        assert_eq!(id.to_strkey().parse::<NodeId>().unwrap(), id);
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!("abc".parse::<NodeId>(), Err(ParseNodeIdError::Length { len: 3 }));
        assert_eq!(
            "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=".parse::<NodeId>(),
            Err(ParseNodeIdError::Base64)
        );
    }

    #[test]
    fn serde_uses_strkey() {
        let id = NodeId([7; 32]);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_strkey()));
        assert_eq!(serde_json::from_str::<NodeId>(&json).unwrap(), id);
    }

    proptest! {
        #[test]
        fn text_forms_round_trip(b in any::<[u8; 32]>()) {
            let id = NodeId(b);
            prop_assert_eq!(id.to_strkey().parse::<NodeId>().unwrap(), id);
            prop_assert_eq!(id.to_base64().parse::<NodeId>().unwrap(), id);
        }
    }
}
