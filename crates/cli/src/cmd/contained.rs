//! Reads of a ledger that may be corrupt, contained in a child process.
//!
//! LMDB trusts its page pointers: a damaged `data.mdb` can make it read outside its map and
//! die by SIGSEGV or SIGBUS (about 1% of single bit flips in a fresh ledger). So `mcnode
//! ledger info|verify|blocks` re-run this same binary as `mcnode ledger contained-read ...`
//! (a hidden subcommand) and only relay its output. The child reports what it is reading by
//! progress lines on stderr ([`progress`]); if it dies by a signal (or panics), the parent
//! discards its partial output and reports the ledger as corrupt, exit 1, naming the last
//! thing the child said it was reading. The child's own exit codes pass through.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode, Stdio};

/// Prefix of the child's progress lines on stderr (never shown to the user).
const PROGRESS: &str = "\u{1e}mcnode-reading: ";

/// In the child: says what is about to be read (one short line on stderr).
pub fn progress(what: std::fmt::Arguments<'_>) {
    eprintln!("{PROGRESS}{what}");
}

/// How the contained read ended, when it did not end by itself.
pub struct Crash {
    /// What the child said it was reading last.
    pub reading: String,
    /// Signal name, or the exit code of a panic.
    pub how: String,
}

fn signal_name(sig: i32) -> String {
    match sig {
        4 => "SIGILL".into(),
        6 => "SIGABRT".into(),
        7 => "SIGBUS".into(),
        8 => "SIGFPE".into(),
        9 => "SIGKILL".into(),
        11 => "SIGSEGV".into(),
        n => format!("signal {n}"),
    }
}

/// Runs `mcnode ledger contained-read ARGS` and relays its output. Returns the child's exit
/// code, or the crash (its partial stdout discarded). Err: the child could not be started.
pub fn run(args: Vec<OsString>) -> std::io::Result<Result<ExitCode, Crash>> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["ledger", "contained-read"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut out = child.stdout.take().ok_or(std::io::ErrorKind::BrokenPipe)?;
    let err = child.stderr.take().ok_or(std::io::ErrorKind::BrokenPipe)?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).map(|_| buf)
    });
    let mut reading = String::from("starting");
    let mut messages = Vec::new();
    for line in BufReader::new(err).lines() {
        let line = line?;
        match line.strip_prefix(PROGRESS) {
            Some(p) => reading = p.to_owned(),
            None => messages.push(line),
        }
    }
    let status = child.wait()?;
    let stdout = reader.join().map_err(|_| std::io::ErrorKind::Other)??;
    let how = match (status.signal(), status.code()) {
        (Some(sig), _) => signal_name(sig),
        (None, Some(code @ 0..=3)) => {
            std::io::stdout().write_all(&stdout)?;
            for m in messages {
                eprintln!("{m}");
            }
            return Ok(Ok(ExitCode::from(code as u8)));
        }
        (None, Some(code)) => {
            // A panic (101) or another abnormal end: its message may help a bug report.
            for m in messages {
                eprintln!("{m}");
            }
            format!("abnormal exit {code}")
        }
        (None, None) => "unknown termination".into(),
    };
    Ok(Err(Crash { reading, how }))
}
