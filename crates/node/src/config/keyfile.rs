//! Key files: the node's message-signing key, and (re-exported from `mcnode_client::keyfile`,
//! where the wallet reads them) demo account keys and the secret-file rules.
//!
//! Message-signing key format (documented in `docs/config.md`): an Ed25519 private key as
//! PKCS#8 PEM (RFC 8410), the form `openssl genpkey -algorithm ed25519` writes and
//! `openssl pkey -pubout` reads. Its public key is the node id.
//!
//! Guarantees: files are created with mode 0600 and never overwritten; reading refuses a key
//! file that others can read or write (like ssh); secrets never appear in errors or `Debug`;
//! decoders return a typed error on any input, never panic.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mcnode_crypto::SigningIdentity;
use mcnode_types::NodeId;
use zeroize::Zeroizing;

pub use mcnode_client::keyfile::{
    ACCOUNT_KEY_FORMAT, ACCOUNT_KEY_VERSION, KeyFileError, decode_account_key, encode_account_key,
    read_account_key, read_secret_file, write_account_key, write_secret_file,
};

/// DER prefix of a PKCS#8 Ed25519 private key (RFC 8410 §7); the 32-byte seed follows.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// The node id of a message-signing key.
pub fn node_id(key: &SigningIdentity) -> NodeId {
    NodeId(key.verifying().to_bytes())
}

/// The PEM text of a message-signing key.
pub fn encode_message_key(key: &SigningIdentity) -> Zeroizing<String> {
    let mut der = Zeroizing::new(PKCS8_ED25519_PREFIX.to_vec());
    der.extend_from_slice(&Zeroizing::new(key.to_seed())[..]);
    let b64 = Zeroizing::new(STANDARD.encode(&der[..]));
    Zeroizing::new(format!("{PEM_BEGIN}\n{}\n{PEM_END}\n", b64.as_str()))
}

/// Parses the PEM text of a message-signing key.
pub fn decode_message_key(text: &str) -> Result<SigningIdentity, KeyFileError> {
    let t = text.trim();
    let body = t
        .strip_prefix(PEM_BEGIN)
        .and_then(|r| r.strip_suffix(PEM_END))
        .ok_or(KeyFileError::NotPem)?;
    let b64: Zeroizing<String> = Zeroizing::new(body.split_whitespace().collect());
    let der = Zeroizing::new(STANDARD.decode(b64.as_bytes()).map_err(|_| KeyFileError::NotPem)?);
    if der.len() != 48 || der[..16] != PKCS8_ED25519_PREFIX {
        return Err(KeyFileError::NotEd25519 { len: der.len() });
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&der[16..]);
    Ok(SigningIdentity::from_seed(&seed))
}

/// Writes a message-signing key file (0600, never overwriting).
pub fn write_message_key(path: &Path, key: &SigningIdentity) -> Result<(), KeyFileError> {
    write_secret_file(path, &encode_message_key(key))
}

/// Reads a message-signing key file.
pub fn read_message_key(path: &Path) -> Result<SigningIdentity, KeyFileError> {
    decode_message_key(&read_secret_file(path)?)
}
