//! The node's configuration as the runtime consumes it: one struct per TOML table, every table
//! with `deny_unknown_fields`, defaults as documented in `docs/config.md`.
//!
//! Paths in the file are kept as written; [`crate::config::load`] resolves relative ones
//! against the configuration file's directory.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use mcnode_scp::{QuorumSet, ScpConfig};
use mcnode_tx::address::AddressString;
use mcnode_types::{Hash32, NodeId};
use serde::{Deserialize, Deserializer};

/// Default block interval (MobileCoin and the design: about one block every 5 s).
pub const DEFAULT_BLOCK_INTERVAL_MS: u64 = 5_000;
/// Default bound on pending values (MobileCoin's consensus service uses 500).
pub const DEFAULT_PENDING_LIMIT: usize = 500;
/// Default most values nominated per slot (MobileCoin's `MAX_PENDING_VALUES_TO_NOMINATE`).
pub const DEFAULT_MAX_VALUES_PER_SLOT: u32 = 100;
/// Default `pool.check_linger_ms`.
pub const DEFAULT_CHECK_LINGER_MS: u64 = 0;
/// Largest `pool.check_linger_ms` (a tenth of the shortest block interval worth having).
pub const MAX_CHECK_LINGER_MS: u64 = 500;

/// A validator node's whole configuration (`node.toml`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The network's name; signed into every SCP message and attested by the enclave.
    pub chain_id: String,
    /// Key files.
    pub keys: KeysConfig,
    /// Where peers connect (gRPC peer API).
    pub peer_listen: SocketAddr,
    /// Where clients connect (gRPC client API).
    pub client_listen: SocketAddr,
    /// Where the operator connects (admin HTTP).
    pub admin_listen: SocketAddr,
    /// The nodes this node talks to.
    #[serde(default)]
    pub peers: Vec<PeerConfig>,
    /// Whom this node trusts.
    pub quorum_set: QuorumSetConfig,
    /// The durable ledger.
    pub ledger: LedgerConfig,
    /// The enclave and whom it believes.
    #[serde(default)]
    pub enclave: EnclaveConfig,
    /// Minimum fees and where fees go.
    pub fees: FeesConfig,
    /// Block cadence and SCP timeouts.
    #[serde(default)]
    pub consensus: ConsensusConfig,
    /// Transaction pool limits.
    #[serde(default)]
    pub pool: PoolConfig,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Publishing each block to a block archive as it lands (none by default).
    #[serde(default)]
    pub archive: Option<ArchiveConfig>,
    /// Test builds only: makes this node lie (`config::byzantine`; refused by other builds).
    #[serde(default)]
    pub byzantine: Option<super::byzantine::ByzantineConfig>,
}

/// `[archive]`: where a running node publishes each block it appends (the layout of
/// `mcnode archive`, docs/archive.md). Failures are logged and retried; they never hold up
/// consensus.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// `file:///DIR`, a plain absolute directory, or `s3://BUCKET/PREFIX` (credentials and
    /// endpoint from the `AWS_*` environment variables, never from this file).
    pub url: String,
}

/// `[keys]`: the node's key files.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// Ed25519 message-signing key (PKCS#8 PEM, as `mcnode keys generate` writes it); its public
    /// key is the node id.
    pub message_signing_key: PathBuf,
    /// Where the enclave keeps its sealed block-signing key.
    pub sealed_block_signing_key: PathBuf,
}

/// One `[[peers]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's node id (`G...` strkey or base64).
    pub id: NodeId,
    /// Its peer API address, `HOST:PORT`.
    pub address: String,
}

/// `[quorum_set]` (and each `[[...inner]]`): `threshold` of the entries, where each validator
/// and each inner set is one entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuorumSetConfig {
    /// How many entries must agree.
    pub threshold: u32,
    /// Validators by node id.
    #[serde(default)]
    pub validators: Vec<NodeId>,
    /// Nested sets.
    #[serde(default)]
    pub inner: Vec<QuorumSetConfig>,
}

impl QuorumSetConfig {
    /// The SCP core's quorum set (not yet validated; see [`crate::config::validate`]).
    pub fn to_quorum_set(&self) -> QuorumSet {
        QuorumSet {
            threshold: self.threshold,
            validators: self.validators.clone(),
            inner_sets: self.inner.iter().map(Self::to_quorum_set).collect(),
        }
    }
}

/// `[ledger]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    /// Ledger directory.
    pub path: PathBuf,
    /// Origin file (JSON, `examples/origin.json`); every node of a network has the same one.
    pub origin: PathBuf,
}

/// `[enclave]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnclaveConfig {
    /// How the enclave runs.
    #[serde(default)]
    pub backend: EnclaveBackend,
    /// Whose enclaves this node believes.
    #[serde(default)]
    pub attestation: AttestationConfig,
}

/// How the enclave runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnclaveBackend {
    /// A separate `mcnode-enclave` process (the default).
    #[default]
    Process,
    /// Inside the node's own process.
    InProcess,
}

/// `[enclave.attestation]`: the policy applied to peers' attestation evidence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationConfig {
    /// A `trusted-measurements` TOML file.
    #[serde(default)]
    pub trusted_measurements: Option<PathBuf>,
    /// Or trusted measurements inline (64 hex characters each).
    #[serde(default)]
    pub measurements: Vec<Hash32>,
    /// Root key of the simulated platform (64 hex); absent: the public devnet root.
    #[serde(default)]
    pub trust_anchor: Option<Hash32>,
    /// Accept SIMULATED evidence (protects nothing against operators).
    #[serde(default)]
    pub allow_simulated: bool,
}

/// `[fees]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeesConfig {
    /// Minimum fee per token id (`"0" = 400`), in the token's smallest unit.
    pub minimum: BTreeMap<String, u64>,
    /// Public address that receives the fees.
    #[serde(deserialize_with = "from_str")]
    pub recipient: AddressString,
}

impl FeesConfig {
    /// `(token id, minimum fee)` pairs; keys that are not token ids are left out (validation
    /// reports them).
    pub fn minimum_fees(&self) -> Vec<(u64, u64)> {
        self.minimum.iter().filter_map(|(k, v)| k.parse().ok().map(|t| (t, *v))).collect()
    }
}

/// `[consensus]`: block cadence and SCP timers (milliseconds).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusConfig {
    /// Least time between blocks when transactions are pending.
    pub block_interval_ms: u64,
    /// Nomination round 1 length.
    pub nomination_timeout_base_ms: u64,
    /// Added per further nomination round.
    pub nomination_timeout_increment_ms: u64,
    /// Ballot timer at counter 1.
    pub ballot_timeout_base_ms: u64,
    /// Added per further ballot counter.
    pub ballot_timeout_increment_ms: u64,
    /// Upper bound on any SCP timer.
    pub max_timeout_ms: u64,
    /// Accept a quorum set below majority or two thirds (stellar-core's `UNSAFE_QUORUM`).
    pub unsafe_quorum: bool,
    /// Fault testing only: the node's consensus clock runs at this percent of real time (200:
    /// twice as fast, so its block interval and SCP timers expire in half the real time).
    pub clock_rate_percent: u64,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        let scp = ScpConfig::default();
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        ConsensusConfig {
            block_interval_ms: DEFAULT_BLOCK_INTERVAL_MS,
            nomination_timeout_base_ms: ms(scp.nomination_timeout_base),
            nomination_timeout_increment_ms: ms(scp.nomination_timeout_increment),
            ballot_timeout_base_ms: ms(scp.ballot_timeout_base),
            ballot_timeout_increment_ms: ms(scp.ballot_timeout_increment),
            max_timeout_ms: ms(scp.max_timeout),
            unsafe_quorum: false,
            clock_rate_percent: 100,
        }
    }
}

impl ConsensusConfig {
    /// The block interval.
    pub fn block_interval(&self) -> Duration {
        Duration::from_millis(self.block_interval_ms)
    }

    /// The SCP core's configuration (a validator).
    pub fn scp_config(&self) -> ScpConfig {
        ScpConfig {
            nomination_timeout_base: Duration::from_millis(self.nomination_timeout_base_ms),
            nomination_timeout_increment: Duration::from_millis(
                self.nomination_timeout_increment_ms,
            ),
            ballot_timeout_base: Duration::from_millis(self.ballot_timeout_base_ms),
            ballot_timeout_increment: Duration::from_millis(self.ballot_timeout_increment_ms),
            max_timeout: Duration::from_millis(self.max_timeout_ms),
            is_validator: true,
        }
    }
}

/// `[pool]`: transaction pool limits.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// Most pending transactions; more are refused with `OverCapacity`.
    pub pending_limit: usize,
    /// Most values nominated per slot (block size bound).
    pub max_values_per_slot: u32,
    /// How long the enclave's admission check waits for more checks to batch with, in
    /// milliseconds (0: never; a check then waits only while the enclave is busy).
    pub check_linger_ms: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            pending_limit: DEFAULT_PENDING_LIMIT,
            max_values_per_slot: DEFAULT_MAX_VALUES_PER_SLOT,
            check_linger_ms: DEFAULT_CHECK_LINGER_MS,
        }
    }
}

/// `[log]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Line format.
    pub format: LogFormat,
}

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Deserializes any `FromStr` type from a string, keeping its error message.
fn from_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}
