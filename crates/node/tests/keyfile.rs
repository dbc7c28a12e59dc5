//! Key files: formats, permissions, no overwrite, no secrets in Debug or errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::os::unix::fs::PermissionsExt;

use mcnode_crypto::SigningIdentity;
use mcnode_node::config::keyfile::{self, KeyFileError};
use mcnode_tx::AccountKey;
use mcnode_tx::address::Network;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[test]
fn message_key_round_trips_as_pkcs8_pem_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    let key = SigningIdentity::from_seed(&[7; 32]);
    keyfile::write_message_key(&path, &key).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"), "{text}");
    let back = keyfile::read_message_key(&path).unwrap();
    assert_eq!(keyfile::node_id(&back), keyfile::node_id(&key));
    // Never overwritten.
    let other = SigningIdentity::from_seed(&[8; 32]);
    assert!(matches!(keyfile::write_message_key(&path, &other), Err(KeyFileError::Exists { .. })));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn key_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    keyfile::write_message_key(&path, &SigningIdentity::from_seed(&[7; 32])).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    match keyfile::read_message_key(&path) {
        Err(KeyFileError::Permissions { mode, .. }) => assert_eq!(mode, 0o644),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_message_keys_get_typed_errors() {
    assert!(matches!(keyfile::decode_message_key("hello"), Err(KeyFileError::NotPem)));
    let bad_b64 = "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----";
    assert!(matches!(keyfile::decode_message_key(bad_b64), Err(KeyFileError::NotPem)));
    // A PKCS#8 X25519 key (OID 1.3.101.110) is not an Ed25519 key.
    let x25519 = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\n-----END PRIVATE KEY-----";
    assert!(matches!(
        keyfile::decode_message_key(x25519),
        Err(KeyFileError::NotEd25519 { len: 48 })
    ));
    let pem = keyfile::encode_message_key(&SigningIdentity::from_seed(&[7; 32]));
    let short = pem.replace("MC4CAQAwBQYDK2VwBCIEI", "MC4CAQAwBQYDK2VwBCIE");
    assert!(keyfile::decode_message_key(&short).is_err());
}

#[test]
fn account_key_file_round_trips_and_detects_edits() {
    let key = AccountKey::random(&mut ChaCha20Rng::seed_from_u64(1));
    let text = keyfile::encode_account_key(&key, Network::Devnet);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], "mcnode-account-key");
    assert_eq!(v["network"], "devnet");
    assert!(v["address"].as_str().unwrap().starts_with("mcd"));
    let (back, net) = keyfile::decode_account_key(&text).unwrap();
    assert_eq!((back, net), (key.clone(), Network::Devnet));
    // The address must be the keys' address.
    let other = AccountKey::random(&mut ChaCha20Rng::seed_from_u64(2));
    let other_text = keyfile::encode_account_key(&other, Network::Devnet);
    let w: serde_json::Value = serde_json::from_str(&other_text).unwrap();
    let mut edited = v.clone();
    edited["address"] = w["address"].clone();
    assert!(matches!(
        keyfile::decode_account_key(&edited.to_string()),
        Err(KeyFileError::AddressMismatch)
    ));
    let mut edited = v.clone();
    edited["network"] = "mainnet".into();
    assert!(matches!(
        keyfile::decode_account_key(&edited.to_string()),
        Err(KeyFileError::AccountFormat { .. })
    ));
    let mut edited = v.clone();
    edited["version"] = 2.into();
    assert!(matches!(
        keyfile::decode_account_key(&edited.to_string()),
        Err(KeyFileError::AccountFormat { .. })
    ));
}

#[test]
fn errors_and_debug_never_show_secrets() {
    let key = AccountKey::random(&mut ChaCha20Rng::seed_from_u64(3));
    let text = keyfile::encode_account_key(&key, Network::Devnet);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let spend = v["spend_private"].as_str().unwrap().to_string();
    let mut bad = v.clone();
    bad["view_private"] = "zz".into();
    let e = keyfile::decode_account_key(&bad.to_string()).unwrap_err();
    assert!(!format!("{e} {e:?}").contains(&spend));
    let m = SigningIdentity::from_seed(&[9; 32]);
    assert!(!format!("{m:?}").contains("0909"));
}
