//! The separate-process backend: the same full path as `boundary.rs`, through a real
//! `mcnode-enclave` child process over its stdin/stdout pipe.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use mcnode_attest::sim::SimRootKey;
use mcnode_enclave::call::{EnclaveCall, decode_frame};
use mcnode_enclave::{Enclave, EnclaveError, EnclaveReply, ProcessEnclave};
use mcnode_tx::TokenId;

fn spawn(seed_file: &std::path::Path) -> ProcessEnclave {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_mcnode-enclave"));
    ProcessEnclave::spawn(bin, &["--platform-seed-file", seed_file.to_str().unwrap()]).unwrap()
}

fn seed_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let p = dir.path().join("platform-seed");
    std::fs::write(&p, "11".repeat(32)).unwrap();
    p
}

#[test]
fn full_path_through_the_enclave_process() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed_file(&dir);
    let mut w = world(5, 30, 2);
    let mut e = spawn(&seed);
    let (sealed, signer) = e.init(w.init_params(None)).unwrap();
    assert_eq!(one_block(&mut w, &mut e, 0, 20, SimRootKey::devnet().public()), 1);
    assert_eq!(e.minimum_fee(TokenId(0)).unwrap(), Some(MIN_FEE));
    // Malformed input gets a typed refusal; the process keeps serving.
    let v = mcnode_enclave::call::CALL_VERSION.to_be_bytes();
    let reply: EnclaveReply = decode_frame(&e.call_bytes(&[v[0], v[1], 200]).unwrap()).unwrap();
    assert_eq!(reply, EnclaveReply::Refused(EnclaveError::MalformedCall));
    assert!(e.shutdown().unwrap().success(), "the enclave process exits cleanly on EOF");

    // A restarted process unseals the same block-signing key and keeps building the chain.
    let mut again = spawn(&seed);
    let (_, signer2) = again.init(w.init_params(Some(sealed.clone()))).unwrap();
    assert_eq!(signer2, signer);
    assert_eq!(one_block(&mut w, &mut again, 1, 21, SimRootKey::devnet().public()), 2);
    drop(again);

    // A process on another platform cannot unseal it.
    let other = dir.path().join("other-seed");
    std::fs::write(&other, "22".repeat(32)).unwrap();
    let mut foreign = spawn(&other);
    let r = foreign.call(&EnclaveCall::Init(w.init_params(Some(sealed)))).unwrap();
    assert!(matches!(r, EnclaveReply::Refused(EnclaveError::Sealed(_))), "{r:?}");
}

#[test]
fn the_enclave_process_refuses_to_start_without_a_platform_seed() {
    let bin = env!("CARGO_BIN_EXE_mcnode-enclave");
    let out = std::process::Command::new(bin).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("seed");
    std::fs::write(&bad, "not hex").unwrap();
    let out = std::process::Command::new(bin)
        .args(["--platform-seed-file", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
