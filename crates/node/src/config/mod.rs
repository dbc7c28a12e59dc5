//! The node's configuration: one TOML file (`node.toml`, documented field by field in
//! `docs/config.md`), overridable by environment variables and `--set` flags.
//!
//! Guarantees:
//! - Unknown fields are refused at every level (`deny_unknown_fields`): a typo never passes as
//!   a default.
//! - Every error names the field's path (`quorum_set.inner[1].threshold`) and where the value
//!   came from (file line, environment variable, flag, or default): [`ConfigError`],
//!   [`Invalid`].
//! - Parsing ([`parse`]) and checking ([`Loaded::problems`], [`network::check`]) are pure
//!   functions of their inputs; only [`load`] and [`keyfile`] touch the file system.
//! - Quorum sets are checked with the SCP core's own rules ([`mcnode_scp::QuorumSet::validate`],
//!   stellar-core's limits) and its safety predicates.

mod attestation;
pub mod byzantine;
mod error;
pub mod keyfile;
mod locate;
pub mod network;
pub mod overrides;
mod schema;
mod validate;

use std::path::{Path, PathBuf};

pub use byzantine::{BYZANTINE_BUILD, ByzantineBehaviour, ByzantineConfig};
pub use error::{ConfigError, Invalid, OverrideProblem, Problem, ValueSource};
pub use overrides::{Override, Overrides};
pub use schema::{
    ArchiveConfig, AttestationConfig, ConsensusConfig, DEFAULT_BLOCK_INTERVAL_MS,
    DEFAULT_MAX_VALUES_PER_SLOT, DEFAULT_PENDING_LIMIT, EnclaveBackend, EnclaveConfig, FeesConfig,
    KeysConfig, LedgerConfig, LogConfig, LogFormat, NodeConfig, PeerConfig, PoolConfig,
    QuorumSetConfig,
};

use mcnode_types::NodeId;
use overrides::Step;

/// A parsed configuration together with what is needed to say where each value came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The configuration, relative paths resolved.
    pub config: NodeConfig,
    text: String,
    overrides: Overrides,
}

impl Loaded {
    /// Where the value at `path` came from (an override, a file line, or the default).
    pub fn source_of(&self, path: &str) -> ValueSource {
        match overrides::parse_path(path) {
            Some(steps) => self.source_at(&steps, false),
            None => ValueSource::Default,
        }
    }

    fn source_at(&self, steps: &[Step], nearest: bool) -> ValueSource {
        source_at(&self.text, &self.overrides, steps, nearest)
    }

    /// Every semantic problem, each with its field path and source. `own_id` is this node's id
    /// (from its message-signing key) when known: it may appear in its own quorum set, and must
    /// not appear among its peers.
    pub fn problems(&self, own_id: Option<NodeId>) -> Vec<Invalid> {
        validate::problems(&self.config, own_id)
            .into_iter()
            .map(|(steps, problem)| Invalid {
                path: overrides::render(&steps),
                at: self.source_at(&steps, false),
                problem,
            })
            .collect()
    }
}

/// Parses configuration text, applies `overrides`, and resolves relative paths against
/// `base_dir` (the configuration file's directory).
pub fn parse(text: &str, overrides: &Overrides, base_dir: &Path) -> Result<Loaded, ConfigError> {
    let mut doc: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        line: e.span().map(|s| locate::line_at(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    overrides.apply(&mut doc)?;
    let mut config: NodeConfig = serde_path_to_error::deserialize(toml::Value::Table(doc))
        .map_err(|e| {
            let mut steps = locate::steps_of(e.path());
            let message = e.inner().message().trim().to_string();
            let at = source_at(text, overrides, &steps, true);
            // serde names a missing field in its message only; put it in the path too.
            if let Some(field) = message
                .strip_prefix("missing field `")
                .and_then(|r| r.split_once('`'))
                .map(|(f, _)| f)
            {
                steps.push(Step::Key(field.to_string()));
            }
            ConfigError::Schema { path: overrides::render(&steps), at, message }
        })?;
    if config.byzantine.is_some() && !BYZANTINE_BUILD {
        return Err(ConfigError::ByzantineNotBuilt);
    }
    resolve_paths(&mut config, base_dir);
    Ok(Loaded { config, text: text.to_string(), overrides: overrides.clone() })
}

/// Where the value at `steps` came from; `nearest` accepts the line of an enclosing table
/// when the value itself is not in the file.
fn source_at(text: &str, overrides: &Overrides, steps: &[Step], nearest: bool) -> ValueSource {
    if let Some(s) = overrides.source_of(steps) {
        return s.clone();
    }
    match locate::line_of(text, steps) {
        Some((line, exact)) if exact || nearest => ValueSource::File { line: Some(line) },
        _ => ValueSource::Default,
    }
}

/// Reads and parses a configuration file (see [`parse`]).
pub fn load(path: &Path, overrides: &Overrides) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, overrides, base)
}

fn resolve(p: &mut PathBuf, base: &Path) {
    if p.is_relative() {
        *p = base.join(&*p);
    }
}

fn resolve_paths(c: &mut NodeConfig, base: &Path) {
    resolve(&mut c.keys.message_signing_key, base);
    resolve(&mut c.keys.sealed_block_signing_key, base);
    resolve(&mut c.ledger.path, base);
    resolve(&mut c.ledger.origin, base);
    if let Some(p) = c.enclave.attestation.trusted_measurements.as_mut() {
        resolve(p, base);
    }
}
