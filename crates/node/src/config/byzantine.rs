//! `[byzantine]`: makes this node a Byzantine test node (docs/node.md, "Byzantine test node").
//!
//! The section is understood by every build so that a binary built without the `byzantine`
//! cargo feature can refuse it with a clear message ([`super::ConfigError::ByzantineNotBuilt`])
//! instead of an unknown-field error; only a build with the feature acts on it
//! (`crate::runtime::byzantine`). Test builds of `mcnode-cli` enable the feature; release
//! builds do not.

use serde::Deserialize;

/// Default garbage flood rate (messages per second, over all peers).
pub const DEFAULT_GARBAGE_RATE_PER_SEC: u32 = 50;
/// Highest garbage flood rate accepted.
pub const MAX_GARBAGE_RATE_PER_SEC: u32 = 10_000;

/// Whether this binary acts on `[byzantine]` (built with the `byzantine` cargo feature).
pub const BYZANTINE_BUILD: bool = cfg!(feature = "byzantine");

/// `[byzantine]`: how this node lies.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByzantineConfig {
    /// The behaviour.
    pub behaviour: ByzantineBehaviour,
    /// Garbage flood rate, messages per second over all peers (`garbage` only).
    #[serde(default = "default_rate")]
    pub rate_per_sec: u32,
}

fn default_rate() -> u32 {
    DEFAULT_GARBAGE_RATE_PER_SEC
}

/// A Byzantine behaviour (the simulator's behaviours of the same names, on the real wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ByzantineBehaviour {
    /// Conflicting, validly signed statements to different peers at every phase.
    Equivocate,
    /// Malformed, mis-signed, oversized and other-chain messages, at `rate_per_sec`.
    Garbage,
    /// Old validly signed statements (own and others'), periodically and on (re)connect.
    Replay,
    /// Completes handshakes, answers nothing, sends no statements.
    Silent,
}

impl ByzantineBehaviour {
    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            ByzantineBehaviour::Equivocate => "equivocate",
            ByzantineBehaviour::Garbage => "garbage",
            ByzantineBehaviour::Replay => "replay",
            ByzantineBehaviour::Silent => "silent",
        }
    }
}
