//! Scenario files (documented in `docs/sim.md`) and the resolved [`SimConfig`] the engine runs.
//!
//! Parsing is strict: unknown fields, unknown nodes in faults or `submit`, a fault with no or
//! several actions, and out-of-range numbers are all errors that name the problem.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::byzantine::Behaviour;
use crate::topology::{Topology, TopologyError};

/// Where values go when submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submit {
    /// Every value to every honest node.
    All,
    /// Each value to one random honest running node, which relays it to its peers.
    One,
    /// Each value to each of these nodes (indices), which relay it.
    Nodes(Vec<usize>),
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The node stops: loses its SCP state and pending values, keeps its ledger and its last
    /// emitted statements (what the real node persists).
    Crash(usize),
    /// The node comes back, restores its last statements and catches up.
    Restart(usize),
    /// Links between different groups drop every message (unlisted nodes form one more group).
    Partition(Vec<Vec<usize>>),
    /// Ends any partition.
    Heal,
}

/// A fault at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// When, in virtual milliseconds.
    pub at_ms: u64,
    /// What.
    pub kind: FaultKind,
}

/// How messages are forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// Every node is linked to every other.
    Full,
    /// A random connected graph: a ring plus random links up to this degree.
    Degree(usize),
}

/// Everything a run needs, resolved and checked.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The network.
    pub topology: Topology,
    /// The seed of every random choice.
    pub seed: u64,
    /// How many values are submitted.
    pub values: u64,
    /// Most values per slot (the combine cap K).
    pub max_values_per_slot: usize,
    /// Where values go.
    pub submit: Submit,
    /// Values submitted per virtual second.
    pub submit_rate: f64,
    /// A node nominates when a full slot is pending, or this long after the last slot closed.
    pub block_interval_ms: u64,
    /// Link latency range, inclusive.
    pub latency_ms: (u64, u64),
    /// Probability that a message is lost.
    pub drop: f64,
    /// Forwarding graph.
    pub overlay: Overlay,
    /// SCP timer base (nomination and ballot).
    pub timeout_base_ms: u64,
    /// SCP timer growth per round.
    pub timeout_increment_ms: u64,
    /// Crash, restart, partition and heal events, sorted by time.
    pub faults: Vec<Fault>,
    /// Byzantine nodes and their behaviour.
    pub byzantine: Vec<(usize, Behaviour)>,
    /// Whether every value must reach every honest running node by `stop_ms`.
    pub expect_liveness: bool,
    /// Virtual time limit.
    pub stop_ms: u64,
    /// Bad messages per virtual second each `garbage` liar floods (0: no flood).
    pub garbage_rate: u64,
    /// The honest nodes whose safety and liveness are judged (`None`: every honest node). A
    /// scenario past the tolerance limit names the nodes theory still protects.
    pub judged: Option<Vec<usize>>,
}

impl SimConfig {
    /// Defaults for a quick run on `topology`: everything to every node, zero latency, no
    /// faults, liveness expected.
    pub fn quick(topology: Topology, values: u64, max_values_per_slot: usize, seed: u64) -> Self {
        let overlay = default_overlay(topology.nodes.len());
        SimConfig {
            topology,
            seed,
            values,
            max_values_per_slot,
            submit: Submit::All,
            submit_rate: 20_000.0,
            block_interval_ms: 1000,
            latency_ms: (0, 0),
            drop: 0.0,
            overlay,
            timeout_base_ms: 1000,
            timeout_increment_ms: 1000,
            faults: Vec::new(),
            byzantine: Vec::new(),
            expect_liveness: true,
            stop_ms: 600_000,
            garbage_rate: DEFAULT_GARBAGE_RATE,
            judged: None,
        }
    }
}

/// Default `garbage_rate`.
pub const DEFAULT_GARBAGE_RATE: u64 = 200;
/// Largest `garbage_rate` a scenario file may ask for.
pub const MAX_GARBAGE_RATE: u64 = 1_000_000;

fn default_overlay(n: usize) -> Overlay {
    if n <= 24 { Overlay::Full } else { Overlay::Degree(8) }
}

/// Why a scenario cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not valid scenario JSON.
    #[error("scenario {path} is malformed: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The topology is unusable.
    #[error("topology {source_name}: {error}")]
    Topology {
        /// File or generator.
        source_name: String,
        /// Why.
        error: TopologyError,
    },
    /// A fault names a node that does not exist, or names none / several actions.
    #[error("fault #{index}: {reason}")]
    Fault {
        /// Position in `faults`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A field is out of range.
    #[error("field {field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    topology: serde_json::Value,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    values: Option<u64>,
    #[serde(default)]
    max_values_per_slot: Option<usize>,
    #[serde(default)]
    submit: Option<SubmitSpec>,
    #[serde(default)]
    submit_rate: Option<f64>,
    #[serde(default)]
    block_interval_ms: Option<u64>,
    #[serde(default)]
    network: Option<NetworkSpec>,
    #[serde(default)]
    timeouts: Option<TimeoutSpec>,
    #[serde(default)]
    faults: Vec<FaultSpec>,
    #[serde(default)]
    garbage_rate: Option<u64>,
    #[serde(default)]
    expect_liveness: Option<bool>,
    #[serde(default)]
    stop: Option<StopSpec>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SubmitSpec {
    Mode(String),
    Nodes(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkSpec {
    #[serde(default)]
    latency_ms: Option<[u64; 2]>,
    #[serde(default)]
    drop: Option<f64>,
    #[serde(default)]
    overlay: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeoutSpec {
    base_ms: u64,
    increment_ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StopSpec {
    virtual_ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultSpec {
    #[serde(default)]
    at_ms: Option<u64>,
    #[serde(default)]
    crash: Option<String>,
    #[serde(default)]
    restart: Option<String>,
    #[serde(default)]
    partition: Option<Vec<Vec<String>>>,
    #[serde(default)]
    heal: Option<bool>,
    #[serde(default)]
    byzantine: Option<String>,
    #[serde(default)]
    behaviour: Option<String>,
}

/// Loads a topology named by a generator string or a file path (relative to `base`).
pub fn load_topology(spec: &str, base: &Path) -> Result<Topology, ScenarioError> {
    let wrap = |error| ScenarioError::Topology { source_name: spec.to_string(), error };
    if let Some(t) = Topology::generate(spec) {
        return t.map_err(wrap);
    }
    let path = base.join(spec);
    let text = std::fs::read_to_string(&path)
        .map_err(|source| ScenarioError::Read { path: path.clone(), source })?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Topology::from_stellarbeat_str(&text, &name).map_err(wrap)
}

/// Reads and resolves a scenario file.
pub fn load_scenario(path: &Path) -> Result<SimConfig, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ScenarioError::Read { path: path.to_path_buf(), source })?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse_scenario(&text, path, base)
}

/// Resolves scenario JSON `text` (`path` names it in errors; relative topology paths are
/// relative to `base`).
pub fn parse_scenario(text: &str, path: &Path, base: &Path) -> Result<SimConfig, ScenarioError> {
    let fmt = |reason: String| ScenarioError::Format { path: path.to_path_buf(), reason };
    let file: File = serde_json::from_str(text).map_err(|e| fmt(e.to_string()))?;
    let topology = match file.topology {
        serde_json::Value::String(s) => load_topology(&s, base)?,
        v @ serde_json::Value::Array(_) => Topology::from_stellarbeat_value(v, "inline")
            .map_err(|error| ScenarioError::Topology { source_name: "inline".into(), error })?,
        _ => return Err(fmt("topology must be a file name, a generator or an array".into())),
    };
    let mut cfg = SimConfig::quick(topology, 1000, 100, 0);
    cfg.seed = file.seed.unwrap_or(0);
    cfg.values = file.values.unwrap_or(cfg.values);
    cfg.max_values_per_slot = file.max_values_per_slot.unwrap_or(cfg.max_values_per_slot);
    if cfg.max_values_per_slot == 0 || cfg.max_values_per_slot > 4096 {
        return Err(field("max_values_per_slot", "must be 1 to 4096"));
    }
    if cfg.values > 10_000_000 {
        return Err(field("values", "at most 10,000,000"));
    }
    if let Some(r) = file.submit_rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(field("submit_rate", "must be a positive number of values per second"));
        }
        cfg.submit_rate = r;
    }
    cfg.block_interval_ms = file.block_interval_ms.unwrap_or(cfg.block_interval_ms);
    let resolve = |name: &str| cfg.topology.resolve(name);
    cfg.submit = match file.submit {
        // New scenarios exercise validity per node: each value reaches one node and travels.
        None => Submit::One,
        Some(SubmitSpec::Mode(m)) if m == "all" => Submit::All,
        Some(SubmitSpec::Mode(m)) if m == "one" => Submit::One,
        Some(SubmitSpec::Mode(m)) => {
            return Err(field("submit", &format!("{m:?}: use \"all\", \"one\" or a node list")));
        }
        Some(SubmitSpec::Nodes(list)) => {
            let idx: Result<Vec<usize>, _> = list.iter().map(|n| resolve(n)).collect();
            Submit::Nodes(idx.map_err(|e| field("submit", &e.to_string()))?)
        }
    };
    if let Some(net) = file.network {
        if let Some([lo, hi]) = net.latency_ms {
            if lo > hi || hi > 3_600_000 {
                return Err(field("network.latency_ms", "needs [low, high] with low <= high"));
            }
            cfg.latency_ms = (lo, hi);
        }
        if let Some(d) = net.drop {
            if !(0.0..1.0).contains(&d) {
                return Err(field("network.drop", "must be at least 0 and below 1"));
            }
            cfg.drop = d;
        }
        match net.overlay {
            None => {}
            Some(serde_json::Value::String(s)) if s == "full" => cfg.overlay = Overlay::Full,
            Some(serde_json::Value::Number(n)) if n.as_u64().is_some_and(|d| d >= 2) => {
                cfg.overlay = Overlay::Degree(n.as_u64().unwrap_or(2) as usize);
            }
            Some(_) => return Err(field("network.overlay", "\"full\" or a degree >= 2")),
        }
    }
    if let Some(t) = file.timeouts {
        if t.base_ms == 0 {
            return Err(field("timeouts.base_ms", "must be positive"));
        }
        cfg.timeout_base_ms = t.base_ms;
        cfg.timeout_increment_ms = t.increment_ms;
    }
    if let Some(r) = file.garbage_rate {
        if r > MAX_GARBAGE_RATE {
            return Err(field("garbage_rate", "at most 1000000 messages per second"));
        }
        cfg.garbage_rate = r;
    }
    cfg.expect_liveness = file.expect_liveness.unwrap_or(true);
    cfg.stop_ms = file.stop.map(|s| s.virtual_ms).unwrap_or(cfg.stop_ms);
    for (index, f) in file.faults.iter().enumerate() {
        let ferr = |reason: String| ScenarioError::Fault { index, reason };
        let node = |n: &String| cfg.topology.resolve(n).map_err(|e| ferr(e.to_string()));
        let actions = [
            f.crash.is_some(),
            f.restart.is_some(),
            f.partition.is_some(),
            f.heal.is_some(),
            f.byzantine.is_some(),
        ];
        if actions.iter().filter(|a| **a).count() != 1 {
            return Err(ferr(
                "give exactly one of crash, restart, partition, heal, byzantine".into(),
            ));
        }
        if let Some(b) = &f.byzantine {
            let who = node(b)?;
            let Some(name) = &f.behaviour else {
                return Err(ferr("byzantine needs a behaviour".into()));
            };
            let behaviour = Behaviour::parse(name).ok_or_else(|| {
                ferr(format!("unknown behaviour {name:?} (silent, equivocate, conflicting-values, replay, garbage)"))
            })?;
            if cfg.byzantine.iter().any(|(i, _)| *i == who) {
                return Err(ferr(format!("node {b} is already byzantine")));
            }
            cfg.byzantine.push((who, behaviour));
            continue;
        }
        if f.behaviour.is_some() {
            return Err(ferr("behaviour only goes with byzantine".into()));
        }
        let Some(at_ms) = f.at_ms else { return Err(ferr("needs at_ms".into())) };
        let kind = if let Some(n) = &f.crash {
            FaultKind::Crash(node(n)?)
        } else if let Some(n) = &f.restart {
            FaultKind::Restart(node(n)?)
        } else if let Some(groups) = &f.partition {
            let mut out = Vec::new();
            for g in groups {
                out.push(g.iter().map(node).collect::<Result<Vec<_>, _>>()?);
            }
            FaultKind::Partition(out)
        } else if f.heal == Some(true) {
            FaultKind::Heal
        } else {
            return Err(ferr("heal must be true".into()));
        };
        cfg.faults.push(Fault { at_ms, kind });
    }
    cfg.faults.sort_by_key(|f| f.at_ms);
    Ok(cfg)
}

fn field(field: &'static str, reason: &str) -> ScenarioError {
    ScenarioError::Field { field, reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SimConfig, ScenarioError> {
        parse_scenario(text, Path::new("test.json"), Path::new("."))
    }

    #[test]
    fn parses_the_documented_example() {
        let cfg = parse(
            r#"{"topology": "mesh:5:3", "seed": 7, "values": 10000, "max_values_per_slot": 100,
                "submit": "all", "network": {"latency_ms": [0, 0], "drop": 0.0},
                "timeouts": {"base_ms": 1000, "increment_ms": 1000},
                "faults": [{"at_ms": 1000, "crash": "node1"}, {"at_ms": 5000, "restart": "node1"},
                           {"at_ms": 2000, "partition": [["node0"], ["node2", "node3"]]},
                           {"at_ms": 8000, "heal": true},
                           {"byzantine": "node4", "behaviour": "equivocate"}],
                "expect_liveness": true, "stop": {"virtual_ms": 600000}}"#,
        )
        .unwrap();
        assert_eq!(cfg.seed, 7);
        assert_eq!(cfg.faults.len(), 4);
        assert_eq!(cfg.faults[1].kind, FaultKind::Partition(vec![vec![0], vec![2, 3]]));
        assert_eq!(cfg.byzantine, vec![(4, Behaviour::Equivocate)]);
    }

    #[test]
    fn inline_topology_and_node_list_submit() {
        let cfg = parse(
            r#"{"topology": [{"publicKey": "A", "quorumSet": {"threshold": 1, "validators": ["A"]}}],
                "submit": ["A"]}"#,
        )
        .unwrap();
        assert_eq!(cfg.submit, Submit::Nodes(vec![0]));
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse(r#"{"topology": "mesh:3:2", "faults": [{"at_ms": 1, "crash": "nobody"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nobody") && e.contains("fault #0"), "{e}");
        let e = parse(r#"{"topology": "mesh:3:2", "bogus": 1}"#).unwrap_err().to_string();
        assert!(e.contains("bogus"), "{e}");
        let e = parse(r#"{"topology": "mesh:3:2", "faults": [{"at_ms": 1}]}"#).unwrap_err();
        assert!(matches!(e, ScenarioError::Fault { .. }));
        let e = parse(
            r#"{"topology": "mesh:3:2", "faults": [{"byzantine": "node0", "behaviour": "evil"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("evil"), "{e}");
        assert!(matches!(
            parse(r#"{"topology": "missing.json"}"#),
            Err(ScenarioError::Read { .. })
        ));
        assert!(matches!(
            parse(r#"{"topology": "mesh:3:2", "network": {"drop": 1.5}}"#),
            Err(ScenarioError::Field { .. })
        ));
        assert!(matches!(parse("not json"), Err(ScenarioError::Format { .. })));
    }
}
