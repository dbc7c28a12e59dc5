//! The text form of a public address that people copy: a network prefix, then Base58
//! (Bitcoin alphabet) of `version ‖ network ‖ view key ‖ spend key ‖ checksum`.
//!
//! Rules:
//! - Prefix `mcm` (mainnet), `mct` (testnet) or `mcd` (devnet); the network byte inside the
//!   checksummed payload must agree with it, so an address for one network is never accepted
//!   on another.
//! - Checksum: the first 4 bytes of `Hash32::digest(b"mcnode-address-checksum-v1", version ‖
//!   network ‖ view ‖ spend)`. Any typo changes the payload, and a random change passes the
//!   checksum with probability 2^-32 (the test checks every single-character substitution).
//! - Both keys must be valid Ristretto points.
//! - Version 1; the payload is 70 bytes.

use std::fmt;
use std::str::FromStr;

use mcnode_crypto::CompressedPoint;
use mcnode_types::Hash32;

use crate::PublicAddress;

/// Domain tag of the address checksum.
pub const ADDRESS_CHECKSUM_DOMAIN: &[u8] = b"mcnode-address-checksum-v1";
/// Current address version byte.
pub const ADDRESS_VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 1 + 32 + 32 + 4;
const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Which network an address belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Network {
    /// Production.
    Mainnet,
    /// Public test network.
    Testnet,
    /// Local development networks.
    Devnet,
}

impl Network {
    fn prefix(self) -> &'static str {
        match self {
            Network::Mainnet => "mcm",
            Network::Testnet => "mct",
            Network::Devnet => "mcd",
        }
    }

    fn byte(self) -> u8 {
        match self {
            Network::Mainnet => 0x4d,
            Network::Testnet => 0x54,
            Network::Devnet => 0x44,
        }
    }

    fn from_prefix(s: &str) -> Option<Network> {
        [Network::Mainnet, Network::Testnet, Network::Devnet].into_iter().find(|n| n.prefix() == s)
    }
}

/// A public address with its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddressString {
    /// The network.
    pub network: Network,
    /// The address.
    pub address: PublicAddress,
}

/// Why a string is not an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Does not start with `mcm`, `mct` or `mcd`.
    #[error("unknown network prefix (expected mcm, mct or mcd)")]
    UnknownPrefix,
    /// A character outside the Base58 alphabet.
    #[error("invalid character at position {position}")]
    InvalidCharacter {
        /// Byte offset in the string.
        position: usize,
    },
    /// The payload has the wrong length.
    #[error("payload is {len} bytes, expected {PAYLOAD_LEN}")]
    Length {
        /// Decoded length.
        len: usize,
    },
    /// Unknown version byte.
    #[error("unsupported address version {version}")]
    Version {
        /// The version found.
        version: u8,
    },
    /// The checksum does not match (a typo).
    #[error("checksum mismatch: the address has a typo")]
    Checksum,
    /// The network byte disagrees with the prefix.
    #[error("address is for another network than its prefix says")]
    NetworkMismatch,
    /// A key is not a valid point.
    #[error("address key is not a valid curve point")]
    InvalidKey,
}

fn base58_encode(data: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::with_capacity(data.len() * 138 / 100 + 1);
    for &byte in data {
        let mut carry = byte as u32;
        for d in digits.iter_mut() {
            carry += (*d as u32) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = data.iter().take_while(|b| **b == 0).count();
    std::iter::repeat_n('1', zeros)
        .chain(digits.iter().rev().map(|d| ALPHABET[*d as usize] as char))
        .collect()
}

fn base58_decode(s: &str, offset: usize) -> Result<Vec<u8>, AddressError> {
    let mut bytes: Vec<u8> = Vec::with_capacity(s.len());
    for (i, c) in s.bytes().enumerate() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .ok_or(AddressError::InvalidCharacter { position: offset + i })? as u32;
        let mut carry = v;
        for b in bytes.iter_mut() {
            carry += (*b as u32) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
        if bytes.len() > PAYLOAD_LEN + 8 {
            return Err(AddressError::Length { len: bytes.len() });
        }
    }
    let zeros = s.bytes().take_while(|c| *c == b'1').count();
    Ok(std::iter::repeat_n(0u8, zeros).chain(bytes.into_iter().rev()).collect())
}

fn checksum(body: &[u8]) -> [u8; 4] {
    let h = Hash32::digest(ADDRESS_CHECKSUM_DOMAIN, body);
    [h.0[0], h.0[1], h.0[2], h.0[3]]
}

impl fmt::Display for AddressString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut body = Vec::with_capacity(PAYLOAD_LEN);
        body.push(ADDRESS_VERSION);
        body.push(self.network.byte());
        body.extend_from_slice(self.address.view_public.as_bytes());
        body.extend_from_slice(self.address.spend_public.as_bytes());
        let c = checksum(&body);
        body.extend_from_slice(&c);
        write!(f, "{}{}", self.network.prefix(), base58_encode(&body))
    }
}

impl FromStr for AddressString {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let network =
            s.get(..3).and_then(Network::from_prefix).ok_or(AddressError::UnknownPrefix)?;
        let payload = base58_decode(&s[3..], 3)?;
        if payload.len() != PAYLOAD_LEN {
            return Err(AddressError::Length { len: payload.len() });
        }
        let (body, sum) = payload.split_at(PAYLOAD_LEN - 4);
        if checksum(body) != sum {
            return Err(AddressError::Checksum);
        }
        if body[0] != ADDRESS_VERSION {
            return Err(AddressError::Version { version: body[0] });
        }
        if body[1] != network.byte() {
            return Err(AddressError::NetworkMismatch);
        }
        let mut view = [0u8; 32];
        view.copy_from_slice(&body[2..34]);
        let mut spend = [0u8; 32];
        spend.copy_from_slice(&body[34..66]);
        let address = PublicAddress {
            view_public: CompressedPoint(view),
            spend_public: CompressedPoint(spend),
        };
        if address.view_public.decompress().is_err() || address.spend_public.decompress().is_err() {
            return Err(AddressError::InvalidKey);
        }
        Ok(AddressString { network, address })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_round_trips_with_leading_zeros() {
        for data in [vec![], vec![0], vec![0, 0, 1, 2], vec![255; 70], (0..70).collect::<Vec<u8>>()]
        {
            assert_eq!(base58_decode(&base58_encode(&data), 0).unwrap(), data);
        }
        assert_eq!(base58_encode(b"hello world"), "StV1DL6CwTryKyV");
    }
}
