//! Why a configuration is refused, and where the offending value came from.
//!
//! Every error names the field by its path in the document (`quorum_set.inner[1].threshold`,
//! `peers[0].id`) and where that value came from: a line of the file, an environment variable,
//! a `--set` flag, or the built-in default.

use std::fmt;
use std::path::PathBuf;

use mcnode_scp::{QuorumSetError, QuorumSetWarning};
use mcnode_types::NodeId;

/// Where a configuration value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueSource {
    /// The configuration file (1-based line, when it could be found).
    File {
        /// Line of the value (or of its nearest enclosing table).
        line: Option<usize>,
    },
    /// An environment variable.
    Env {
        /// The variable's name.
        var: String,
    },
    /// A `--set PATH=VALUE` flag.
    Flag {
        /// The flag's argument as given.
        arg: String,
    },
    /// Not written anywhere: the built-in default.
    Default,
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::File { line: Some(l) } => write!(f, "line {l}"),
            ValueSource::File { line: None } => f.write_str("in the file"),
            ValueSource::Env { var } => write!(f, "from environment variable {var}"),
            ValueSource::Flag { arg } => write!(f, "from --set {arg}"),
            ValueSource::Default => f.write_str("default"),
        }
    }
}

/// Why an override (environment variable or `--set`) is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OverrideProblem {
    /// `--set` without `=`.
    #[error("expected PATH=VALUE")]
    NoEquals,
    /// A path that is empty or malformed (`a..b`, `a[x]`).
    #[error("malformed field path {path:?}")]
    BadPath {
        /// The path given.
        path: String,
    },
    /// An `MCNODE_...` variable that names no configuration field.
    #[error("no configuration field is set by this variable (see docs/config.md for the names)")]
    UnknownEnv,
    /// A number field given something else.
    #[error("{value:?} is not a whole number")]
    NotAnInteger {
        /// The text given.
        value: String,
    },
    /// A true/false field given something else.
    #[error("{value:?} is not true or false")]
    NotABool {
        /// The text given.
        value: String,
    },
    /// A list or table field given text that is not a TOML value.
    #[error(
        "not a TOML value (lists and tables are written inline, e.g. [..] or {{..}}): {message}"
    )]
    NotToml {
        /// The parser's message.
        message: String,
    },
    /// The path runs through a value that is not a table or list, or past a list's end.
    #[error("{path} cannot be set: {at} is not a table or list with that entry")]
    Unreachable {
        /// The whole path.
        path: String,
        /// The prefix that does not hold the next step.
        at: String,
    },
}

/// A configuration that cannot be read or understood (schema level). Semantic problems of a
/// configuration that was understood are [`Invalid`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("not valid TOML ({}): {message}", ValueSource::File { line: *line })]
    Syntax {
        /// Line of the error.
        line: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// An override is unusable.
    #[error("{source_of}: {problem}")]
    Override {
        /// Which variable or flag.
        source_of: ValueSource,
        /// Why.
        problem: OverrideProblem,
    },
    /// A field is missing, unknown, or of the wrong type or form.
    #[error("{path}: {message} ({at})")]
    Schema {
        /// Path of the field (`.` for the whole document).
        path: String,
        /// Where the value came from.
        at: ValueSource,
        /// What the schema says.
        message: String,
    },
    /// `[byzantine]` in a binary built without the `byzantine` cargo feature.
    #[error(
        "byzantine: this binary was built without the `byzantine` feature (test builds only) \
         and refuses to run a Byzantine test node; remove the [byzantine] section"
    )]
    ByzantineNotBuilt,
}

/// A semantic problem of a configuration that was understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem} ({at})")]
pub struct Invalid {
    /// Path of the field.
    pub path: String,
    /// Where the value came from.
    pub at: ValueSource,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a value the schema accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Chain id empty or longer than attestation evidence can carry.
    #[error("chain id must be 1 to {max} bytes, got {len}")]
    ChainIdLength {
        /// Its length.
        len: usize,
        /// The limit (`mcnode_attest::evidence::MAX_CHAIN_ID_LEN`).
        max: usize,
    },
    /// The quorum set breaks stellar-core's structural limits.
    #[error("{0}")]
    QuorumSet(QuorumSetError),
    /// The quorum set is valid but unsafe; refused unless `consensus.unsafe_quorum = true`.
    #[error("{}; set consensus.unsafe_quorum = true to accept it", warning_text(.0))]
    UnsafeQuorumSet(QuorumSetWarning),
    /// A quorum-set validator that is neither a configured peer nor this node.
    #[error("validator {node} is not a configured peer (add it to [[peers]])")]
    ValidatorNotAPeer {
        /// The validator.
        node: NodeId,
    },
    /// This node listed as its own peer.
    #[error("peer {node} is this node itself")]
    PeerIsSelf {
        /// This node's id.
        node: NodeId,
    },
    /// A peer listed twice.
    #[error("peer {node} is listed more than once")]
    DuplicatePeer {
        /// The peer.
        node: NodeId,
    },
    /// A peer address that is not `host:port`.
    #[error("peer address {address:?} is not HOST:PORT")]
    PeerAddress {
        /// The address.
        address: String,
    },
    /// Two listen addresses are the same socket.
    #[error("same address as {other}")]
    ListenClash {
        /// The other field.
        other: &'static str,
    },
    /// No minimum fee is configured at all.
    #[error("no token has a minimum fee; at least token 0 needs one")]
    NoMinimumFees,
    /// A `fees.minimum` key that is not a token id.
    #[error("{key:?} is not a token id (a whole number)")]
    BadTokenId {
        /// The key.
        key: String,
    },
    /// A minimum fee of zero (would let anyone fill blocks for free).
    #[error("a minimum fee of 0 lets anyone fill blocks for free")]
    ZeroFee,
    /// A number that must be positive is zero.
    #[error("must be greater than 0")]
    Zero,
    /// A number above its limit.
    #[error("{value} exceeds the limit {max}")]
    TooLarge {
        /// The value.
        value: u64,
        /// The limit.
        max: u64,
    },
    /// `max_timeout_ms` below a base timeout.
    #[error("{value} ms is below {other} ({other_value} ms)")]
    TimeoutBelowBase {
        /// This value.
        value: u64,
        /// The base it must not undercut.
        other: &'static str,
        /// That base's value.
        other_value: u64,
    },
    /// Both a measurements file and an inline list.
    #[error("give trusted_measurements (a file) or measurements (a list), not both")]
    MeasurementsTwice,
}

fn warning_text(w: &QuorumSetWarning) -> String {
    match w {
        QuorumSetWarning::BelowMajority { depth, threshold, entries } => format!(
            "threshold {threshold} of {entries} at depth {depth} is not a majority \
             (two disjoint slices fit)"
        ),
        QuorumSetWarning::TopBelowTwoThirds { threshold, entries } => format!(
            "top threshold {threshold} of {entries} is below two thirds (tolerates fewer \
             faulty entries than it could)"
        ),
    }
}
