//! `mcnode devnet --demo` (the README's run command, issue 13) on real processes: a fresh
//! 4-node devnet, payments between the demo wallets for a few seconds, and a verdict. Exit 0
//! means every payment was confirmed, every balance adds up (fees included) and every node
//! holds the same last block id.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn the_demo_confirms_payments_and_ends_with_a_passing_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_mcnode"))
        .args(["devnet", "--demo", "--duration-secs", "8", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("PASS: payments confirmed"), "{text}");
    let line = text.lines().find(|l| l.contains("payments:")).unwrap();
    assert!(!line.contains(" 0 sent"), "{line}");
    assert!(text.contains("identical"), "{text}");
    assert_eq!(text.matches("MISMATCH").count(), 0, "{text}");
}
