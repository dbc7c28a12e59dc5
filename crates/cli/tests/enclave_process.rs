//! One build of `mcnode` is enough to run the enclave: the hidden `enclave-process`
//! subcommand serves enclave calls, and `mcnode bench enclave` spawns it by default. The
//! binary is copied alone into an empty directory first, so no sibling `mcnode-enclave`
//! binary can be what makes these pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

/// Runs `cmd`, retrying while exec fails with "text file busy": a process another test forks
/// while the copy is still open for writing holds that descriptor until it execs itself.
fn output(cmd: &mut Command) -> Output {
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(20));
            }
            r => return r.expect("run mcnode"),
        }
    }
    panic!("mcnode stayed busy (ETXTBSY) for 2 s");
}

fn lone_mcnode(dir: &tempfile::TempDir) -> PathBuf {
    let bin = dir.path().join("mcnode");
    std::fs::copy(env!("CARGO_BIN_EXE_mcnode"), &bin).expect("copy mcnode");
    bin
}

#[test]
fn bench_enclave_runs_with_only_the_mcnode_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = lone_mcnode(&dir);
    let out = output(
        Command::new(&bin).args(["bench", "enclave", "--json", "--rounds", "1", "--calls", "2"]),
    );
    assert!(
        out.status.success(),
        "bench enclave failed without a separate mcnode-enclave binary: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v.get("process_over_in_process_cpu").is_some(), "no process figure in {v}");
}

#[test]
fn enclave_process_refuses_a_bad_seed_file_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = lone_mcnode(&dir);
    let seed = dir.path().join("seed");
    std::fs::write(&seed, "not hex").expect("write");
    let out =
        output(Command::new(&bin).arg("enclave-process").arg("--platform-seed-file").arg(&seed));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected 64 hex digits"), "stderr: {err}");
}
