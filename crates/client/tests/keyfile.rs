//! The wallet reads the account key files `mcnode devnet init` writes, as they are.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;

use mcnode_client::keyfile::{KeyFileError, read_account_key, write_account_key};
use mcnode_tx::AccountKey;
use mcnode_tx::address::Network;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[test]
fn a_written_key_file_reads_back_and_others_may_not_read_it() {
    let key = AccountKey::random(&mut ChaCha20Rng::seed_from_u64(1));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet-0.json");
    write_account_key(&path, &key, Network::Devnet).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (back, network) = read_account_key(&path).unwrap();
    assert_eq!((back.default_address(), network), (key.default_address(), Network::Devnet));
    assert!(matches!(
        write_account_key(&path, &key, Network::Devnet),
        Err(KeyFileError::Exists { .. })
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(read_account_key(&path), Err(KeyFileError::Permissions { mode: 0o644, .. })));
}
