//! The state file: a process killed while saving never leaves a torn state; damage is refused
//! as `Corrupt`, never half-read and never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{out, rng};
use mcnode_client::state::OwnedRecord;
use mcnode_client::store::{decode_file, encode_file};
use mcnode_client::{StateFile, StoreError, WalletState};
use mcnode_tx::{AccountKey, Amount, KeyImage, TokenId};
use mcnode_types::Hash32;

const CHILD_ENV: &str = "MCNODE_CLIENT_CRASH_CHILD";
const TAG: Hash32 = Hash32([7; 32]);

/// A state of `n` records (about 260 bytes each), distinguishable by `generation`.
fn state(generation: u64, n: u64) -> WalletState {
    let mut r = rng(1);
    let a = AccountKey::random(&mut r);
    let o = out(&a.default_address(), 1, TokenId(0), &mut r);
    WalletState {
        account_tag: TAG,
        tip: None,
        owned: (0..n)
            .map(|i| OwnedRecord {
                tx_out: o,
                global_index: i,
                block_index: generation,
                subaddress: 0,
                amount: Amount::new(generation, TokenId(0)),
                key_image: KeyImage::default(),
                spent_in: None,
            })
            .collect(),
        pending: vec![],
        block_times: (0..n.min(50)).map(|i| (i, 1_700_000_000 + generation + i)).collect(),
    }
}

/// Not a test on its own: the child process of the crash test saves states in a loop until it
/// is killed. Without the environment variable it returns at once.
#[test]
fn crash_child_saves_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let file = StateFile::new(path);
    let states = [state(1, 20_000), state(2, 20_000)];
    for g in 0.. {
        file.save(&states[g % 2]).unwrap();
    }
}

#[test]
fn a_kill_during_a_save_leaves_the_old_or_the_new_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.state");
    let file = StateFile::new(&path);
    let exe = std::env::current_exe().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for round in 0..12u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child_saves_until_killed", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + 37 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let s = file.load(TAG).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let generation = s.owned.first().map_or(0, |o| o.block_index);
        assert!(s.owned.is_empty() || s.owned.len() == 20_000, "round {round}: torn state");
        seen.insert(generation);
    }
    assert!(seen.iter().any(|g| *g != 0), "the child never completed a save: test proves nothing");
}

#[test]
fn damage_is_refused_as_corrupt() {
    let bytes = encode_file(&state(3, 3));
    assert_eq!(decode_file(&bytes).unwrap(), state(3, 3));
    for cut in [0, 5, 8, 16, bytes.len() / 2, bytes.len() - 1] {
        assert!(decode_file(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x40;
        assert!(decode_file(&b).is_err(), "flip at {i}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w");
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let e = StateFile::new(&path).load(TAG).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { reason: "truncated or extended", .. }), "{e:?}");
}

#[test]
fn a_leftover_temporary_file_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w");
    let file = StateFile::new(&path);
    file.save(&state(4, 2)).unwrap();
    std::fs::write(dir.path().join("w.tmp"), b"half a sta").unwrap();
    assert_eq!(file.load(TAG).unwrap(), state(4, 2));
    file.save(&state(5, 2)).unwrap();
    assert_eq!(file.load(TAG).unwrap(), state(5, 2));
}

/// The decoders on random input, and on random payloads under a valid checksum (what the
/// fuzz target `wallet_state_decode` explores with coverage guidance): an error, never a panic.
#[test]
fn decoders_never_panic_on_random_input() {
    use mcnode_types::Decode as _;
    use rand_core::Rng as _;
    let mut r = rng(5);
    let valid = mcnode_types::Encode::to_canonical_bytes(&state(6, 3));
    for n in 0..3_000usize {
        let mut bytes = if n % 2 == 0 { vec![0u8; n % 700] } else { valid.clone() };
        if n % 2 == 0 {
            r.fill_bytes(&mut bytes);
        } else {
            let i = (r.next_u64() as usize) % bytes.len();
            bytes[i] = r.next_u64() as u8;
            bytes.truncate(bytes.len() - (n % 5));
        }
        let _ = WalletState::from_canonical_bytes(&bytes);
        let mut file = b"MCNWLT02".to_vec();
        file.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        file.extend_from_slice(&bytes);
        file.extend_from_slice(Hash32::digest(b"mcnode-wallet-state-v1", &bytes).as_bytes());
        let _ = decode_file(&file);
        let _ = decode_file(&bytes);
    }
}

#[test]
fn a_first_version_state_file_is_dropped_and_the_wallet_resyncs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.state");
    // A file of the first format (no block times): a cache of verified blocks, so the wallet
    // starts over from the origin instead of refusing to open.
    let mut v1 = b"MCNWLT01".to_vec();
    v1.extend_from_slice(&[0; 40]);
    std::fs::write(&path, &v1).unwrap();
    let loaded = StateFile::new(&path).load(TAG).unwrap();
    assert_eq!(loaded, WalletState { account_tag: TAG, ..WalletState::default() });
    // Anything else that is not this format stays an error.
    std::fs::write(&path, b"MCNWLT99 and more").unwrap();
    assert!(StateFile::new(&path).load(TAG).is_err());
}
