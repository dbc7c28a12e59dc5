//! The separate-process backend (the default for a running node): the trusted core runs in
//! its own `mcnode-enclave` process, and the host talks to it over the child's stdin/stdout
//! with length-prefixed frames, so decrypted transactions never exist in the host process.
//!
//! Frame on the pipe: `len:u32 (big-endian) || bytes`, `len <= MAX_FRAME_LEN`. One request,
//! then one reply; the enclave process exits when its stdin closes.
//!
//! What this does and does not protect (SIMULATION): it enforces the information flow (the
//! host process never holds plaintext) but not against an operator who can read the enclave
//! process's memory (same uid, or root). A hardware backend replaces the process with the TEE.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use mcnode_attest::sim::SimPlatform;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use crate::api::{BoundaryError, Enclave};
use crate::call::{EnclaveCall, decode_frame};
use crate::measurement::release_program;
use crate::trusted::TrustedEnclave;

/// Largest frame either side accepts.
pub const MAX_FRAME_LEN: u32 = 32 << 20;

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, bytes: &[u8]) -> Result<(), BoundaryError> {
    let len = u32::try_from(bytes.len()).ok().filter(|l| *l <= MAX_FRAME_LEN).ok_or(
        BoundaryError::FrameTooLarge { len: bytes.len() as u64, max: MAX_FRAME_LEN as u64 },
    )?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(bytes)?;
    w.flush()?;
    Ok(())
}

/// Reads one frame; `Ok(None)` at a clean end of stream (before a length).
pub fn read_frame(r: &mut impl Read) -> Result<Option<Vec<u8>>, BoundaryError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = r.read(&mut len[got..])?;
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        got += n;
    }
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME_LEN {
        return Err(BoundaryError::FrameTooLarge { len: len as u64, max: MAX_FRAME_LEN as u64 });
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// The enclave process's loop: read a request, draw 32 bytes from `entropy`, answer, until the
/// input ends. A malformed request gets a `Refused` reply, not an exit; a broken frame ends
/// the loop with an error.
pub fn serve(
    core: &mut TrustedEnclave,
    input: &mut impl Read,
    output: &mut impl Write,
    mut entropy: impl FnMut() -> [u8; 32],
) -> Result<(), BoundaryError> {
    while let Some(request) = read_frame(input)? {
        warn_if_simulated_peers(&request);
        let reply = core.handle(&request, entropy());
        write_frame(output, &reply)?;
    }
    Ok(())
}

/// Why [`serve_main`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeMainError {
    /// The platform seed file could not be read.
    #[error("reading {path}: {source}")]
    SeedFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The platform seed file does not hold 64 hex digits.
    #[error("{path}: expected 64 hex digits")]
    SeedFormat {
        /// The file.
        path: PathBuf,
    },
    /// The process's own randomness could not be read.
    #[error("reading /dev/urandom: {0}")]
    Entropy(std::io::Error),
    /// The frame transport on stdin/stdout failed.
    #[error("enclave transport: {0}")]
    Transport(#[from] BoundaryError),
}

/// Parses a platform seed: exactly 64 hex digits, surrounding whitespace ignored.
pub fn parse_platform_seed(text: &str) -> Option<[u8; 32]> {
    let t = text.trim();
    if t.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(t.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The whole enclave process (what `mcnode-enclave --platform-seed-file FILE` and the hidden
/// `mcnode enclave-process` subcommand run): reads the SIMULATED platform's seed from
/// `seed_file`, draws the enclave's randomness from this process's own `/dev/urandom` (never
/// from the host), and serves frames on stdin/stdout until stdin closes.
pub fn serve_main(seed_file: &Path) -> Result<(), ServeMainError> {
    let text = std::fs::read_to_string(seed_file)
        .map_err(|source| ServeMainError::SeedFile { path: seed_file.to_owned(), source })?;
    let seed = parse_platform_seed(&text)
        .ok_or_else(|| ServeMainError::SeedFormat { path: seed_file.to_owned() })?;
    let mut urandom = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut urandom))
        .map_err(ServeMainError::Entropy)?;
    let mut rng = ChaCha20Rng::from_seed(urandom);
    urandom.fill(0);
    if !mcnode_attest::SIMULATION_BUILD {
        eprintln!(
            "mcnode-enclave: built without the `simulated` feature: peer enclaves' simulated \
             evidence will be refused (client sessions are unaffected)"
        );
    }
    // Peers are trusted only under the policy the host passes at `Init` (the operator's
    // configuration, bound into the attested configuration digest).
    let mut core = TrustedEnclave::new(SimPlatform::devnet(seed), release_program());
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let (mut input, mut output) = (stdin.lock(), stdout.lock());
    serve(&mut core, &mut input, &mut output, || {
        let mut e = [0u8; 32];
        rng.fill_bytes(&mut e);
        e
    })?;
    Ok(())
}

/// The loud warning, on the enclave process's stderr (the verifier's per-acceptance warning
/// goes to a `tracing` subscriber this process does not have): an `Init` whose peer policy
/// allows simulated evidence.
fn warn_if_simulated_peers(request: &[u8]) {
    if let Ok(EnclaveCall::Init(p)) = decode_frame::<EnclaveCall>(request)
        && p.peer_policy.allow_simulated
    {
        eprintln!(
            "mcnode-enclave: WARNING: the peer policy ALLOWS SIMULATED EVIDENCE{}: simulated \
             peer enclaves protect nothing against their operators; never use this for real \
             funds",
            if mcnode_attest::SIMULATION_BUILD {
                ""
            } else {
                " (refused anyway: this build lacks the `simulated` feature)"
            }
        );
    }
}

/// A `mcnode-enclave` child process.
#[derive(Debug)]
pub struct ProcessEnclave {
    child: Child,
    stdin: Option<BufWriter<ChildStdin>>,
    stdout: BufReader<ChildStdout>,
}

impl ProcessEnclave {
    /// Starts `program` (the `mcnode-enclave` binary) with `args`.
    pub fn spawn(program: &Path, args: &[&str]) -> Result<ProcessEnclave, BoundaryError> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take().ok_or(std::io::Error::other("no stdin pipe"))?;
        let stdout = child.stdout.take().ok_or(std::io::Error::other("no stdout pipe"))?;
        Ok(ProcessEnclave {
            child,
            stdin: Some(BufWriter::new(stdin)),
            stdout: BufReader::new(stdout),
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes the pipe and waits for the enclave process to exit.
    pub fn shutdown(mut self) -> Result<std::process::ExitStatus, BoundaryError> {
        drop(self.stdin.take());
        Ok(self.child.wait()?)
    }
}

impl Enclave for ProcessEnclave {
    fn call_bytes(&mut self, request: &[u8]) -> Result<Vec<u8>, BoundaryError> {
        let stdin =
            self.stdin.as_mut().ok_or(std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        write_frame(stdin, request)?;
        read_frame(&mut self.stdout)?
            .ok_or(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into())
    }
}

impl Drop for ProcessEnclave {
    fn drop(&mut self) {
        // Closing stdin makes the enclave process exit; reap it so no zombie remains.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
