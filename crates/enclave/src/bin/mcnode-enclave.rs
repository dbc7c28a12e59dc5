//! `mcnode-enclave`: the enclave process. Serves `EnclaveCall` frames on stdin/stdout (see
//! `mcnode_enclave::process`); exits when stdin closes.
//!
//! Usage: `mcnode-enclave --platform-seed-file FILE`, where FILE holds 64 hex digits: the
//! seed of the SIMULATED platform (its sealing secret; keep it in the node's data directory so
//! the sealed signing key survives restarts). The platform is certified by the public devnet
//! simulation root, so its evidence proves nothing against the operator. Which peer enclaves
//! this enclave trusts is not built in: the host passes the operator's peer policy at `Init`.
//!
//! The enclave's randomness comes from this process's own `/dev/urandom`, never from the host.
//! An `Init` whose peer policy allows simulated evidence prints a warning on stderr.

use std::io::Read;
use std::process::ExitCode;

use mcnode_attest::sim::SimPlatform;
use mcnode_enclave::call::{EnclaveCall, decode_frame};
use mcnode_enclave::measurement::release_program;
use mcnode_enclave::process::{read_frame, write_frame};
use mcnode_enclave::trusted::TrustedEnclave;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

fn parse_seed(text: &str) -> Option<[u8; 32]> {
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

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [flag, path] if flag == "--platform-seed-file" => path,
        _ => return Err("usage: mcnode-enclave --platform-seed-file FILE".to_owned()),
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))?;
    let seed = parse_seed(&text).ok_or(format!("{path}: expected 64 hex digits"))?;
    let mut urandom = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut urandom))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    let mut rng = ChaCha20Rng::from_seed(urandom);
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
    let transport = |e| format!("enclave transport: {e}");
    while let Some(request) = read_frame(&mut input).map_err(transport)? {
        warn_if_simulated_peers(&request);
        let mut entropy = [0u8; 32];
        rng.fill_bytes(&mut entropy);
        let reply = core.handle(&request, entropy);
        write_frame(&mut output, &reply).map_err(transport)?;
    }
    Ok(())
}

/// The loud warning, on this process's stderr (the verifier's per-acceptance warning goes to a
/// `tracing` subscriber this process does not have): an `Init` whose peer policy allows
/// simulated evidence.
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

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mcnode-enclave: {e}");
            ExitCode::from(2)
        }
    }
}
