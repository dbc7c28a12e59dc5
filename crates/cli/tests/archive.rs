//! `mcnode archive` and `mcnode ledger sync` through the binary: round trips through a
//! directory and through a real S3-compatible server, refusal exit codes, a sync killed with
//! SIGKILL and resumed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mcnode_archive::testkit::{Moto, grow, ids, ledger, node_id, rewrite_block, rt, signers};
use mcnode_archive::{Archive, archive_ledger, layout};
use mcnode_ledger::{Ledger, LmdbLedger};

fn mcnode(args: &[&str], env: &[(String, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(args)
        .envs(env.iter().cloned())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A signers file trusting the test network's four block signers.
fn signers_file(dir: &Path) -> String {
    let p = dir.join("signers.txt");
    let lines: Vec<String> = signers().iter().map(|k| node_id(k).to_string()).collect();
    std::fs::write(&p, format!("# test network\n{}\n", lines.join("\n"))).unwrap();
    p.display().to_string()
}

/// An LMDB ledger of `height` signed blocks at `path`.
fn lmdb_ledger(path: &Path, height: u64) {
    let mut l = LmdbLedger::create(path).unwrap();
    grow(&mut l, height);
}

fn lmdb_ids(path: &Path) -> Vec<mcnode_ledger::BlockId> {
    ids(&LmdbLedger::open(path).unwrap())
}

fn round_trip(url: &str, env: &[(String, String)], dir: &Path) {
    let src = dir.join("src");
    lmdb_ledger(&src, 130);
    let src_s = src.display().to_string();
    let o = mcnode(&["archive", "--ledger", &src_s, "--to", url], env);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("objects uploaded 133 (already present 0)"),
        "{}",
        text(&o.stdout)
    );
    let o = mcnode(&["archive", "--ledger", &src_s, "--to", url, "--json"], env);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["uploaded"].as_u64(), v["highest"].as_u64()), (Some(0), Some(129)));
    let dst = dir.join("dst");
    let dst_s = dst.display().to_string();
    let signers = signers_file(dir);
    let sync = ["ledger", "sync", "--from", url, &dst_s, "--signers", &signers, "--threshold", "3"];
    let o = mcnode(&sync, env);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("blocks appended 130 (height 0 -> 130)"),
        "{}",
        text(&o.stdout)
    );
    let o = mcnode(&["ledger", "verify", &dst_s], &[]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    assert_eq!(lmdb_ids(&dst), lmdb_ids(&src));
}

#[test]
fn round_trip_through_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("archive").display());
    round_trip(&url, &[], dir.path());
}

#[test]
fn round_trip_through_s3_with_settings_from_the_environment() {
    let moto = Moto::start("mcnode-archive");
    let dir = tempfile::tempdir().unwrap();
    round_trip("s3://mcnode-archive/testnet", &moto.env(), dir.path());
}

#[test]
fn refusals_name_the_object_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("archive");
    let archive = Archive::create(&a.display().to_string(), &[]).unwrap();
    rt().block_on(archive_ledger(&archive, &ledger(20), &mut |_, _| {})).unwrap();
    rewrite_block(&archive, 12, |b| b.signatures.truncate(2));
    let signers = signers_file(dir.path());
    let dst = dir.path().join("dst").display().to_string();
    let a_s = a.display().to_string();
    let o = mcnode(
        &["ledger", "sync", "--from", &a_s, &dst, "--signers", &signers, "--threshold", "3"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains(&archive.describe(&layout::block_object(12))), "{err}");
    assert!(err.contains("2 valid signatures from trusted signers, 3 needed"), "{err}");
    // Bad input: a threshold above the signers listed.
    let o = mcnode(
        &["ledger", "sync", "--from", &a_s, &dst, "--signers", &signers, "--threshold", "5"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn a_killed_sync_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("archive");
    let archive = Archive::create(&a.display().to_string(), &[]).unwrap();
    let src = ledger(1500);
    rt().block_on(archive_ledger(&archive, &src, &mut |_, _| {})).unwrap();
    let signers = signers_file(dir.path());
    let dst = dir.path().join("dst");
    let (a_s, dst_s) = (a.display().to_string(), dst.display().to_string());
    let sync =
        ["ledger", "sync", "--from", &a_s, &dst_s, "--signers", &signers, "--threshold", "3"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(sync)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has durably appended some blocks (the ledger's acknowledged-block record).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let h = mcnode_ledger::lmdb::ack::read(&dst).ok().flatten().map_or(0, |r| r.height);
        if h >= 50 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "sync ended before it could be killed");
        assert!(Instant::now() < deadline, "sync made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = LmdbLedger::open(&dst).unwrap().num_blocks().unwrap();
    assert!((50..1500).contains(&killed_at), "killed at {killed_at}");
    let o = mcnode(&sync, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains(&format!("(height {killed_at} -> 1500)")), "{out}");
    assert_eq!(lmdb_ids(&dst), ids(&src));
    let o = mcnode(&["ledger", "verify", &dst_s], &[]);
    assert!(o.status.success(), "{}", text(&o.stdout));
}
