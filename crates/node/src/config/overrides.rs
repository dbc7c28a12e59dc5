//! Overrides of file values by environment variables (`MCNODE_...`) and `--set PATH=VALUE`.
//!
//! Precedence: the file, then the environment, then `--set` flags in the order given.
//!
//! Environment: every field of [`FIELDS`] is set by `MCNODE_` followed by its path in upper
//! case with `.` replaced by `_` (`listen` fields: `MCNODE_PEER_LISTEN`; `consensus.block_interval_ms`:
//! `MCNODE_CONSENSUS_BLOCK_INTERVAL_MS`). Text fields take the variable's text as it is; number
//! and true/false fields must parse as such; list and table fields (`peers`, `quorum_set`,
//! `fees.minimum`, `enclave.attestation.measurements`) take an inline TOML value. Any other
//! `MCNODE_` variable is an error (a typo must not be silently ignored), except the names in
//! [`ENV_NOT_CONFIG`].
//!
//! `--set PATH=VALUE` reaches any field, also inside lists (`quorum_set.inner[1].threshold=2`);
//! the value is read as for the environment when the path is in [`FIELDS`], otherwise as an
//! inline TOML value, or as text when it is not one.

use toml::{Table, Value};

use super::error::{ConfigError, OverrideProblem, ValueSource};

/// How an override's text becomes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Taken as text.
    Text,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Bool,
    /// An inline TOML value (list or table).
    Toml,
}

/// Every field an environment variable can set, with its kind.
pub const FIELDS: &[(&str, Kind)] = &[
    ("chain_id", Kind::Text),
    ("keys.message_signing_key", Kind::Text),
    ("keys.sealed_block_signing_key", Kind::Text),
    ("peer_listen", Kind::Text),
    ("client_listen", Kind::Text),
    ("admin_listen", Kind::Text),
    ("peers", Kind::Toml),
    ("quorum_set", Kind::Toml),
    ("ledger.path", Kind::Text),
    ("ledger.origin", Kind::Text),
    ("enclave.backend", Kind::Text),
    ("enclave.attestation.trusted_measurements", Kind::Text),
    ("enclave.attestation.measurements", Kind::Toml),
    ("enclave.attestation.trust_anchor", Kind::Text),
    ("enclave.attestation.allow_simulated", Kind::Bool),
    ("fees.minimum", Kind::Toml),
    ("fees.recipient", Kind::Text),
    ("consensus.block_interval_ms", Kind::Integer),
    ("consensus.nomination_timeout_base_ms", Kind::Integer),
    ("consensus.nomination_timeout_increment_ms", Kind::Integer),
    ("consensus.ballot_timeout_base_ms", Kind::Integer),
    ("consensus.ballot_timeout_increment_ms", Kind::Integer),
    ("consensus.max_timeout_ms", Kind::Integer),
    ("consensus.unsafe_quorum", Kind::Bool),
    ("consensus.clock_rate_percent", Kind::Integer),
    ("pool.pending_limit", Kind::Integer),
    ("pool.max_values_per_slot", Kind::Integer),
    ("pool.check_linger_ms", Kind::Integer),
    ("log.format", Kind::Text),
    ("archive.url", Kind::Text),
];

/// `MCNODE_` variables that are not configuration fields (read by the command line itself).
pub const ENV_NOT_CONFIG: &[&str] = &["MCNODE_CONFIG"];

/// The environment variable that sets `path`.
pub fn env_var_for(path: &str) -> String {
    format!("MCNODE_{}", path.replace('.', "_").to_uppercase())
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A table key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Splits `a.b[1].c` into steps; `None` when malformed.
pub fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        let key_ok = !key.is_empty()
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !key_ok {
            return None;
        }
        steps.push(Step::Key(key.to_string()));
        while let Some(r) = rest.strip_prefix('[') {
            let (n, after) = r.split_once(']')?;
            steps.push(Step::Index(n.parse().ok()?));
            rest = after;
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(steps)
}

/// One override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The field path.
    pub path: String,
    /// The value.
    pub value: Value,
    /// Which variable or flag.
    pub source: ValueSource,
}

/// The overrides to apply to a file, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Applied first to last.
    pub entries: Vec<Override>,
}

fn kind_of(path: &str) -> Option<Kind> {
    FIELDS.iter().find(|(p, _)| *p == path).map(|(_, k)| *k)
}

fn convert(kind: Option<Kind>, text: &str) -> Result<Value, OverrideProblem> {
    match kind {
        Some(Kind::Text) => Ok(Value::String(text.to_string())),
        Some(Kind::Integer) => text
            .trim()
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| OverrideProblem::NotAnInteger { value: text.to_string() }),
        Some(Kind::Bool) => match text.trim() {
            "true" => Ok(Value::Boolean(true)),
            "false" => Ok(Value::Boolean(false)),
            _ => Err(OverrideProblem::NotABool { value: text.to_string() }),
        },
        Some(Kind::Toml) => {
            parse_inline(text).map_err(|message| OverrideProblem::NotToml { message })
        }
        None => Ok(parse_inline(text).unwrap_or_else(|_| Value::String(text.to_string()))),
    }
}

fn parse_inline(text: &str) -> Result<Value, String> {
    let doc = format!("v = {text}");
    let mut t: Table = toml::from_str(&doc).map_err(|e| e.message().to_string())?;
    t.remove("v").ok_or_else(|| "no value".to_string())
}

impl Overrides {
    /// Overrides from environment variables (pass `std::env::vars()`; other names are ignored).
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut entries = Vec::new();
        let mut vars: Vec<_> = vars.into_iter().filter(|(k, _)| k.starts_with("MCNODE_")).collect();
        vars.sort();
        for (var, text) in vars {
            if ENV_NOT_CONFIG.contains(&var.as_str()) {
                continue;
            }
            let source = ValueSource::Env { var: var.clone() };
            let Some((path, kind)) = FIELDS.iter().find(|(p, _)| env_var_for(p) == var) else {
                return Err(ConfigError::Override {
                    source_of: source,
                    problem: OverrideProblem::UnknownEnv,
                });
            };
            let value = convert(Some(*kind), &text)
                .map_err(|problem| ConfigError::Override { source_of: source.clone(), problem })?;
            entries.push(Override { path: (*path).to_string(), value, source });
        }
        Ok(Overrides { entries })
    }

    /// Adds a `--set PATH=VALUE` flag.
    pub fn push_set(&mut self, arg: &str) -> Result<(), ConfigError> {
        let source = ValueSource::Flag { arg: arg.to_string() };
        let err = |problem| ConfigError::Override { source_of: source.clone(), problem };
        let (path, text) = arg.split_once('=').ok_or_else(|| err(OverrideProblem::NoEquals))?;
        let path = path.trim();
        if parse_path(path).is_none() {
            return Err(err(OverrideProblem::BadPath { path: path.to_string() }));
        }
        let value = convert(kind_of(path), text).map_err(err)?;
        self.entries.push(Override { path: path.to_string(), value, source });
        Ok(())
    }

    /// Writes every override into `doc`.
    pub fn apply(&self, doc: &mut Table) -> Result<(), ConfigError> {
        for o in &self.entries {
            let problem = |at: &str| ConfigError::Override {
                source_of: o.source.clone(),
                problem: OverrideProblem::Unreachable { path: o.path.clone(), at: at.to_string() },
            };
            let steps = parse_path(&o.path).ok_or_else(|| problem(&o.path))?;
            set(doc, &steps, o.value.clone()).map_err(|depth| problem(&render(&steps[..depth])))?;
        }
        Ok(())
    }

    /// The source of the override that set `path` or a prefix of it, if any (the last one wins).
    pub fn source_of(&self, path: &[Step]) -> Option<&ValueSource> {
        self.entries.iter().rev().find_map(|o| {
            let steps = parse_path(&o.path)?;
            path.starts_with(&steps).then_some(&o.source)
        })
    }
}

/// Renders steps as `a.b[1].c`.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Sets `value` at `steps` under `doc`, creating tables on the way; `Err(depth)` names how
/// many steps could be followed.
fn set(doc: &mut Table, steps: &[Step], value: Value) -> Result<(), usize> {
    let Some((Step::Key(first), rest)) = steps.split_first() else { return Err(0) };
    if rest.is_empty() {
        doc.insert(first.clone(), value);
        return Ok(());
    }
    let mut cur = doc.entry(first.clone()).or_insert_with(|| Value::Table(Table::new()));
    for (depth, step) in rest.iter().enumerate() {
        let last = depth + 1 == rest.len();
        let next = match (step, cur) {
            (Step::Key(k), Value::Table(t)) => {
                if last {
                    t.insert(k.clone(), value);
                    return Ok(());
                }
                t.entry(k.clone()).or_insert_with(|| Value::Table(Table::new()))
            }
            (Step::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(slot) if last => {
                    *slot = value;
                    return Ok(());
                }
                Some(slot) => slot,
                None => return Err(depth + 1),
            },
            _ => return Err(depth + 1),
        };
        cur = next;
    }
    Err(steps.len())
}
