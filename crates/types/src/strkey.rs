//! Stellar "strkey" text form of Ed25519 public keys (`G...`, 56 characters).
//!
//! Layout: base32 (RFC 4648 alphabet, no padding) of `version byte || 32-byte key || CRC16`,
//! where the version byte is `6 << 3` (the letter G) and the CRC is CRC16-XModem of the first
//! 33 bytes, little-endian. The checksum catches typos in copied keys.

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Version byte of an Ed25519 public key ("G").
pub(crate) const VERSION_ED25519_PUBLIC: u8 = 6 << 3;
/// Length of a public-key strkey in characters.
pub(crate) const STRKEY_LEN: usize = 56;

/// Why a strkey does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrkeyError {
    Length,
    Character(usize),
    Version,
    Checksum,
}

pub(crate) fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= (byte as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

pub(crate) fn encode_public(key: &[u8; 32]) -> String {
    let mut raw = [0u8; 35];
    raw[0] = VERSION_ED25519_PUBLIC;
    raw[1..33].copy_from_slice(key);
    let crc = crc16_xmodem(&raw[..33]);
    raw[33..].copy_from_slice(&crc.to_le_bytes());
    // 35 bytes = 280 bits = 56 base32 characters, no padding needed.
    let mut out = String::with_capacity(STRKEY_LEN);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in raw {
        acc = (acc << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    out
}

pub(crate) fn decode_public(s: &str) -> Result<[u8; 32], StrkeyError> {
    let b = s.as_bytes();
    if b.len() != STRKEY_LEN {
        return Err(StrkeyError::Length);
    }
    let mut raw = [0u8; 35];
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(StrkeyError::Character(i)),
        };
        acc = (acc << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            raw[n] = (acc >> bits) as u8;
            n += 1;
        }
    }
    if raw[0] != VERSION_ED25519_PUBLIC {
        return Err(StrkeyError::Version);
    }
    let crc = crc16_xmodem(&raw[..33]);
    if raw[33..] != crc.to_le_bytes() {
        return Err(StrkeyError::Checksum);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&raw[1..33]);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_xmodem_check_value() {
        // The standard check value of CRC-16/XMODEM over "123456789".
        assert_eq!(crc16_xmodem(b"123456789"), 0x31c3);
    }

    #[test]
    fn real_stellar_key_round_trips() {
        // SDF validator 1, from the stellarbeat network file crates/fbas/tests/data/correct.json.
        let s = "GCGB2S2KGYARPVIA37HYZXVRM2YZUEXA6S33ZU5BUDC6THSB62LZSTYH";
        let key = decode_public(s).unwrap();
        assert_eq!(encode_public(&key), s);
    }

    #[test]
    fn typo_is_caught() {
        let s = "GCGB2S2KGYARPVIA37HYZXVRM2YZUEXA6S33ZU5BUDC6THSB62LZSTYI";
        assert_eq!(decode_public(s), Err(StrkeyError::Checksum));
        assert_eq!(decode_public("G"), Err(StrkeyError::Length));
        let lower = "gCGB2S2KGYARPVIA37HYZXVRM2YZUEXA6S33ZU5BUDC6THSB62LZSTYH";
        assert_eq!(decode_public(lower), Err(StrkeyError::Character(0)));
    }
}
