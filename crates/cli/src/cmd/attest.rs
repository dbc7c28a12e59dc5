//! `mcnode attest`: inspect and check enclave attestation.
//!
//! - `measurement`: the measurement of the enclave built with this release (the default
//!   allow-list), and a `trusted-measurements` file for it.
//! - `evidence`: evidence from a freshly initialised SIMULATED enclave identity, as JSON.
//! - `verify FILE`: the verdict on evidence and every failed check. What is verified is always
//!   the canonical bytes; an evidence file whose decoded view or flags disagree with them, or
//!   that has unknown or missing fields, is refused naming the field
//!   (`mcnode_attest::evidence_file`). Exit codes: 0 accepted, 1 refused, 2 unreadable input
//!   (evidence or trusted-measurements file).
//!
//! This build's platform is SIMULATED: its evidence protects nothing against the operator.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use mcnode_attest::evidence_file::{SIM_WARNING, evidence_file, read_evidence_file};
use mcnode_attest::sim::{SimPlatform, SimRootKey};
use mcnode_attest::{Expected, Policy, TeeType, TrustAnchor, TrustedMeasurements, Verifier};
use mcnode_enclave::identity::{EnclaveIdentity, IdentityParams};
use mcnode_enclave::measurement::{self, RELEASE, RELEASE_MEASUREMENT, release_program};
use mcnode_types::Hash32;

/// `mcnode attest` subcommands.
#[derive(Subcommand, Debug)]
pub enum AttestCommand {
    /// Print the measurement of the enclave built with this release.
    Measurement {
        /// Print a trusted-measurements file (TOML) instead of a summary.
        #[arg(long)]
        toml: bool,
    },
    /// Print evidence (JSON) from a freshly initialised simulated enclave identity.
    Evidence(EvidenceArgs),
    /// Verify evidence; print the verdict and every failed check (exit 0 accepted, 1 refused,
    /// 2 unreadable).
    Verify(VerifyArgs),
}

/// Options of `mcnode attest evidence`.
#[derive(Args, Debug)]
pub struct EvidenceArgs {
    /// Chain id the enclave is initialised for.
    #[arg(long, default_value = "local")]
    chain_id: String,
    /// Configuration digest (64 hex characters).
    #[arg(long, default_value_t = Hash32::ZERO)]
    config_digest: Hash32,
    /// Node id (message-signing public key, 64 hex characters) the enclave names as the node
    /// it serves.
    #[arg(long, default_value_t = Hash32::ZERO)]
    node_id: Hash32,
    /// Issue time, Unix seconds (default: now).
    #[arg(long)]
    now: Option<u64>,
    /// Validity of the quote, seconds.
    #[arg(long, default_value_t = 86_400)]
    validity: u64,
}

/// Options of `mcnode attest verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Evidence file: JSON as printed by `mcnode attest evidence` (its `evidence_hex` is what
    /// is verified; every other field must agree with it), just its `evidence` object, or the
    /// canonical bytes (raw or hex).
    file: PathBuf,
    /// Allow-list file; default: the measurement of the enclave built with this release.
    #[arg(long)]
    trusted_measurements: Option<PathBuf>,
    /// Accept simulated evidence (this build includes the simulated platform).
    #[arg(long)]
    allow_simulated: bool,
    /// Verification time, Unix seconds (default: now).
    #[arg(long)]
    now: Option<u64>,
    /// Expected chain id (not checked if absent).
    #[arg(long)]
    chain_id: Option<String>,
    /// Expected configuration digest (not checked if absent).
    #[arg(long)]
    config_digest: Option<Hash32>,
    /// Expected Noise static key, 64 hex characters (not checked if absent).
    #[arg(long)]
    noise_key: Option<Hash32>,
    /// Trust anchor for tee type `sim` (64 hex characters); default: the devnet simulation root.
    #[arg(long)]
    sim_root: Option<Hash32>,
}

/// Runs an `attest` subcommand.
pub fn run(cmd: AttestCommand) -> ExitCode {
    match cmd {
        AttestCommand::Measurement { toml } => measurement(toml),
        AttestCommand::Evidence(a) => evidence(a),
        AttestCommand::Verify(a) => verify(a),
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn measurement(toml: bool) -> ExitCode {
    let p = release_program();
    if toml {
        println!("# trusted-measurements for mcnode {RELEASE} (simulated platform)");
        println!("[current]\nrelease = \"{RELEASE}\"\nmeasurements = [\"{RELEASE_MEASUREMENT}\"]");
        println!(
            "signers = [{{ signer = \"{}\", product_id = {}, min_security_version = {} }}]",
            p.signer, p.product_id, p.security_version
        );
    } else {
        println!("release           {RELEASE}");
        println!("measurement       {RELEASE_MEASUREMENT}");
        println!("signer            {} (simulated)", p.signer);
        println!("product id        {}", p.product_id);
        println!("security version  {}", p.security_version);
        println!("measured files    {}", measurement::MEASURED_FILES);
    }
    ExitCode::SUCCESS
}

fn random32() -> std::io::Result<[u8; 32]> {
    use std::io::Read;
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b)
}

fn evidence(a: EvidenceArgs) -> ExitCode {
    let (Ok(platform_seed), Ok(identity_seed), Ok(nonce)) = (random32(), random32(), random32())
    else {
        eprintln!("error: cannot read randomness from /dev/urandom");
        return ExitCode::from(2);
    };
    let platform = SimPlatform::devnet(platform_seed);
    let mut n = [0u8; 16];
    n.copy_from_slice(&nonce[..16]);
    let params = IdentityParams {
        chain_id: &a.chain_id,
        node_id: mcnode_types::NodeId(a.node_id.0),
        config_digest: a.config_digest,
        nonce: n,
        now: a.now.unwrap_or_else(unix_now),
        validity_secs: a.validity,
    };
    if a.chain_id.len() > mcnode_attest::evidence::MAX_CHAIN_ID_LEN as usize {
        eprintln!(
            "error: chain id longer than {} bytes",
            mcnode_attest::evidence::MAX_CHAIN_ID_LEN
        );
        return ExitCode::from(2);
    }
    let id = match EnclaveIdentity::generate_simulated(
        &platform,
        &release_program(),
        &params,
        identity_seed,
    ) {
        Ok(id) => id,
        Err(e) => {
            eprintln!("error: cannot create the enclave identity: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("WARNING: {SIM_WARNING}");
    match serde_json::to_string_pretty(&evidence_file(id.evidence())) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn verify(a: VerifyArgs) -> ExitCode {
    let bytes = match std::fs::read(&a.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", a.file.display());
            return ExitCode::from(2);
        }
    };
    let ev = match read_evidence_file(&bytes) {
        Ok(ev) => ev,
        Err(e) if e.is_unreadable() => {
            eprintln!("error: {} is not readable evidence: {e}", a.file.display());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: evidence file {} refused: {e}", a.file.display());
            println!(
                "verdict: REFUSED (the evidence file is not consistent with its canonical bytes)"
            );
            return ExitCode::FAILURE;
        }
    };
    let trusted = match &a.trusted_measurements {
        Some(p) => match TrustedMeasurements::load(p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => measurement::default_trusted_measurements(),
    };
    let sim_root = a.sim_root.map(|h| h.0).unwrap_or_else(|| SimRootKey::devnet().public());
    let mut policy =
        Policy::new(vec![TrustAnchor { tee: TeeType::Sim, root_key: sim_root }], trusted);
    if a.allow_simulated {
        policy = policy.allowing_simulated();
    }
    let expected = Expected {
        chain_id: a.chain_id,
        config_digest: a.config_digest,
        noise_static: a.noise_key.map(|h| h.0),
    };
    let now = a.now.unwrap_or_else(unix_now);
    let assessment = Verifier::new(policy).assess(&ev, &expected, now);
    println!("evidence      {}", a.file.display());
    println!("tee           {}", ev.platform.tee());
    if let Some(p) = &assessment.platform {
        println!("measurement   {}", p.measurement);
        println!(
            "signer        {} (product {}, security version {})",
            p.signer, p.product_id, p.security_version
        );
        println!("debug         {}", p.debug);
        println!("valid         {} .. {} (now {now})", p.issued_at, p.expires_at);
    }
    println!("chain id      {:?}", ev.claims.chain_id);
    println!("config        {}", ev.claims.config_digest);
    println!("noise key     {}", hex::encode(ev.claims.noise_static));
    for f in &assessment.failures {
        println!("FAIL  {f}");
    }
    for s in &assessment.skipped {
        println!("SKIP  {s}");
    }
    if assessment.failures.is_empty() {
        println!("verdict: ACCEPTED");
        if ev.platform.tee() == TeeType::Sim {
            println!("WARNING: {SIM_WARNING}");
        }
        ExitCode::SUCCESS
    } else {
        println!("verdict: REFUSED ({} failed checks)", assessment.failures.len());
        ExitCode::FAILURE
    }
}
