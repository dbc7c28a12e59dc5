//! `mcnode config check FILE...`: is this node configuration (or this set of configurations of
//! one network) usable and safe?
//!
//! Per file: the schema (field path and line of every error), the semantic rules of
//! `mcnode_node::config` (quorum-set structure and safety, every validator a peer or this node,
//! peers, fees, limits), the message-signing key (readable, mode 0600; it gives the node id), the
//! origin file, the trusted-measurements file. Across files: the attested parameters agree
//! and peer addresses match where those peers listen. The network: quorum intersection
//! (mcnode-fbas) over every quorum set known (the files given, `--network`).
//!
//! Exit codes: 0 no problem; 1 problems found; 2 bad input (a file unreadable, not TOML, or
//! not matching the schema; a bad override; an unreadable network file).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mcnode_node::config::network::{self, Member, Mismatch, NetworkReport};
use mcnode_node::config::{self, ConfigError, Loaded, Overrides, ValueSource, keyfile};
use mcnode_types::NodeId;
use serde_json::{Value, json};

/// `mcnode config` subcommands.
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Check node configuration files (exit 0 ok, 1 problems found, 2 bad input).
    ///
    /// Give one node's node.toml, or the configurations of several nodes of one network (all
    /// of a devnet's): then their attested parameters are compared and quorum intersection is
    /// decided over all their quorum sets. Environment overrides (MCNODE_...) and --set apply
    /// to every file, as they would at start-up.
    #[command(after_help = "Examples:\n  mcnode config check node.toml\n  \
        mcnode config check devnet/node-*/node.toml\n  \
        mcnode config check node.toml --network stellarbeat.json --json\n  \
        MCNODE_CHAIN_ID=test mcnode config check node.toml --set pool.pending_limit=1000")]
    Check(CheckArgs),
}

/// Arguments of `config check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Configuration files (node.toml).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Other nodes' quorum sets, stellarbeat JSON (`[{"publicKey", "quorumSet"}]`), for the
    /// intersection check.
    #[arg(long)]
    network: Option<PathBuf>,
    /// Overrides.
    #[command(flatten)]
    overrides: OverrideArgs,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
}

/// The `--set` flags every command that reads node.toml takes (flatten it into the command's
/// arguments; `mcnode run` does the same as `config check`).
#[derive(Args, Debug, Default)]
pub struct OverrideArgs {
    /// Override a field: PATH=VALUE (e.g. consensus.block_interval_ms=1000,
    /// quorum_set.inner[0].threshold=2); repeatable; applied after the MCNODE_... environment
    /// variables (docs/config.md lists them).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

impl OverrideArgs {
    /// The environment's overrides, then the flags'.
    pub fn overrides(&self) -> Result<Overrides, ConfigError> {
        let mut o = Overrides::from_env(std::env::vars())?;
        for s in &self.set {
            o.push_set(s)?;
        }
        Ok(o)
    }
}

/// Runs a `config` subcommand.
pub fn run(cmd: ConfigCommand) -> ExitCode {
    match cmd {
        ConfigCommand::Check(a) => check(&a),
    }
}

/// One finding about one file.
struct Finding {
    path: String,
    at: ValueSource,
    message: String,
}

/// What was learned from one file.
pub struct FileReport {
    file: PathBuf,
    loaded: Option<Loaded>,
    node_id: Option<NodeId>,
    origin_block: Option<mcnode_types::Hash32>,
    bad_input: Option<ConfigError>,
    problems: Vec<Finding>,
    warnings: Vec<String>,
}

fn finding(path: &str, at: ValueSource, message: String) -> Finding {
    Finding { path: path.to_string(), at, message }
}

/// Checks one file on its own.
fn check_file(file: &Path, overrides: &Overrides) -> FileReport {
    let mut r = FileReport {
        file: file.to_path_buf(),
        loaded: None,
        node_id: None,
        origin_block: None,
        bad_input: None,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let loaded = match config::load(file, overrides) {
        Ok(l) => l,
        Err(e) => {
            r.bad_input = Some(e);
            return r;
        }
    };
    let c = &loaded.config;
    let key_at = loaded.source_of("keys.message_signing_key");
    match keyfile::read_message_key(&c.keys.message_signing_key) {
        Ok(k) => r.node_id = Some(keyfile::node_id(&k)),
        Err(e) => r.problems.push(finding("keys.message_signing_key", key_at, e.to_string())),
    }
    for i in loaded.problems(r.node_id) {
        r.problems.push(finding(&i.path, i.at, i.problem.to_string()));
    }
    let origin_at = loaded.source_of("ledger.origin");
    let origin = std::fs::read_to_string(&c.ledger.origin)
        .map_err(|e| format!("cannot read {}: {e}", c.ledger.origin.display()))
        .and_then(|t| {
            mcnode_ledger::origin::parse(&t)
                .and_then(|s| mcnode_ledger::origin::origin_block(&s))
                .map_err(|e| format!("{}: {e}", c.ledger.origin.display()))
        });
    if let Ok(o) = &origin {
        r.origin_block = Some(o.block.block.id.0);
    }
    match origin {
        Ok(o) if o.network != c.fees.recipient.network => r.problems.push(finding(
            "fees.recipient",
            loaded.source_of("fees.recipient"),
            format!(
                "a {:?} address, but the origin's addresses are {:?}",
                c.fees.recipient.network, o.network
            ),
        )),
        Ok(_) => {}
        Err(m) => r.problems.push(finding("ledger.origin", origin_at, m)),
    }
    if c.enclave.attestation.trusted_measurements.is_some()
        && let Err(e) = c.enclave.attestation.allow_list()
    {
        let at = loaded.source_of("enclave.attestation.trusted_measurements");
        r.problems.push(finding("enclave.attestation.trusted_measurements", at, e.to_string()));
    }
    if c.enclave.attestation.allow_simulated {
        r.warnings.push(
            "enclave.attestation.allow_simulated = true: SIMULATED attestation is accepted; it \
             protects nothing against node operators (test networks only)"
                .to_string(),
        );
    }
    r.loaded = Some(loaded);
    r
}

/// The whole verdict over several files.
pub struct Verdict {
    /// Per file.
    pub files: Vec<FileReport>,
    /// Between files.
    pub mismatches: Vec<Mismatch>,
    /// Intersection, when more than one quorum set is known.
    pub network: Option<NetworkReport>,
    /// Why the network could not be checked.
    pub network_error: Option<String>,
}

impl Verdict {
    /// 0 ok, 1 problems, 2 bad input.
    pub fn code(&self) -> u8 {
        if self.files.iter().any(|f| f.bad_input.is_some()) || self.network_error.is_some() {
            2
        } else if self.files.iter().any(|f| !f.problems.is_empty())
            || !self.mismatches.is_empty()
            || self.network.as_ref().is_some_and(NetworkReport::is_problem)
        {
            1
        } else {
            0
        }
    }
}

/// Checks `files` (with overrides) and the network they and `network_file` describe.
pub fn verdict(files: &[PathBuf], overrides: &Overrides, network_file: Option<&Path>) -> Verdict {
    let reports: Vec<FileReport> = files.iter().map(|f| check_file(f, overrides)).collect();
    let members: Vec<Member<'_>> = reports
        .iter()
        .filter_map(|r| {
            r.loaded.as_ref().map(|l| Member {
                label: r.file.display().to_string(),
                node_id: r.node_id,
                origin_block: r.origin_block,
                config: &l.config,
            })
        })
        .collect();
    let mismatches = network::consistency(&members);
    let known: Vec<_> = reports
        .iter()
        .filter_map(|r| Some((r.node_id?, r.loaded.as_ref()?.config.quorum_set.to_quorum_set())))
        .filter(|(_, q)| q.validate().is_ok())
        .collect();
    let mut network_error = None;
    let extra = network_file.and_then(|p| {
        let parsed = std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| mcnode_fbas::input::parse_stellarbeat(&t).map_err(|e| e.to_string()));
        parsed.map_err(|e| network_error = Some(format!("{}: {e}", p.display()))).ok()
    });
    let network = if known.len() > 1 || (extra.is_some() && !known.is_empty()) {
        match network::check(&known, extra.as_ref()) {
            Ok(r) => Some(r),
            Err(e) => {
                network_error = Some(e.to_string());
                None
            }
        }
    } else {
        None
    };
    Verdict { files: reports, mismatches, network, network_error }
}

fn check(a: &CheckArgs) -> ExitCode {
    let overrides = match a.overrides.overrides() {
        Ok(o) => o,
        Err(e) => return bad(&e),
    };
    let v = verdict(&a.files, &overrides, a.network.as_deref());
    if a.json {
        out!("{}", to_json(&v));
    } else {
        print_report(&v);
    }
    ExitCode::from(v.code())
}

fn bad(e: &ConfigError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(2)
}

fn line_of(at: &ValueSource) -> Value {
    match at {
        ValueSource::File { line: Some(l) } => json!(l),
        _ => Value::Null,
    }
}

/// A file that could not be understood: the message, and the field and line when known.
fn bad_input_json(e: &ConfigError) -> Value {
    let (path, line) = match e {
        ConfigError::Schema { path, at, .. } => (Some(path.as_str()), line_of(at)),
        ConfigError::Syntax { line, .. } => (None, json!(line)),
        _ => (None, Value::Null),
    };
    json!({"message": e.to_string(), "path": path, "line": line})
}

/// The verdict as one JSON object.
pub fn to_json(v: &Verdict) -> Value {
    let files: Vec<Value> = v
        .files
        .iter()
        .map(|f| {
            json!({
                "file": f.file.display().to_string(),
                "node_id": f.node_id.map(|i| i.to_strkey()),
                "bad_input": f.bad_input.as_ref().map(bad_input_json),
                "problems": f.problems.iter().map(|p| json!({
                    "path": p.path, "line": line_of(&p.at), "source": p.at.to_string(),
                    "message": p.message,
                })).collect::<Vec<_>>(),
                "warnings": f.warnings,
            })
        })
        .collect();
    let network = v.network.as_ref().map(|n| {
        json!({
            "known": n.known, "unknown": n.unknown, "has_quorum": n.has_quorum,
            "intersection": n.split.is_none() && n.has_quorum && n.unknown.is_empty(),
            "split": n.split.as_ref().map(|(a, b)| json!([a, b])),
        })
    });
    json!({
        "ok": v.code() == 0,
        "exit_code": v.code(),
        "files": files,
        "mismatches": v.mismatches.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "network": network,
        "network_error": v.network_error,
    })
}

fn print_report(v: &Verdict) {
    for f in &v.files {
        out!("{}", f.file.display());
        if let Some(b) = &f.bad_input {
            out!("  BAD INPUT: {b}");
            continue;
        }
        if let Some(id) = f.node_id {
            out!("  node id {id}");
        }
        for p in &f.problems {
            out!("  PROBLEM {}: {} ({})", p.path, p.message, p.at);
        }
        for w in &f.warnings {
            out!("  WARNING {w}");
        }
        if f.problems.is_empty() {
            out!("  ok");
        }
    }
    for m in &v.mismatches {
        out!("PROBLEM {m}");
    }
    match (&v.network, &v.network_error) {
        (_, Some(e)) => out!("network: BAD INPUT: {e}"),
        (None, None) => out!(
            "network: intersection not checked (only this node's quorum set is known; give the \
             other nodes' configurations or --network FILE)"
        ),
        (Some(n), None) => {
            if let Some((a, b)) = &n.split {
                out!(
                    "network: QUORUMS DO NOT INTERSECT: the network can fork. Two disjoint quorums:"
                );
                out!("  A: {}", a.join(", "));
                out!("  B: {}", b.join(", "));
            } else if !n.has_quorum && n.unknown.is_empty() {
                out!(
                    "network: NO QUORUM EXISTS among the {} known nodes: nothing can progress",
                    n.known
                );
            } else if n.unknown.is_empty() {
                out!("network: ok, every two quorums of the {} nodes intersect", n.known);
            } else {
                out!(
                    "network: no split among the {} known nodes; {} named in quorum sets are \
                     unknown, so this is not final: {}",
                    n.known,
                    n.unknown.len(),
                    n.unknown.join(", ")
                );
            }
        }
    }
    let verdict = match v.code() {
        0 => "OK",
        1 => "PROBLEMS FOUND",
        _ => "BAD INPUT",
    };
    out!("verdict: {verdict}");
}
