//! Which nodes exist and whom each trusts: stellarbeat JSON files and built-in generators.
//!
//! The stellarbeat node format (`[{"publicKey": ..., "quorumSet": {"threshold": t,
//! "validators": [...], "innerQuorumSets": [...]}}]`) names nodes by G... strkeys or base64
//! keys, but test networks also use plain names ("org0v0"). A name that parses as a key is that
//! key; any other name maps to `Hash32::digest("mcnode-sim-node", name)`, so it is stable. Names
//! are kept for display. Files are read by `mcnode-fbas`'s parser, the one `mcnode quorum`
//! uses, so both accept and refuse the same files; the one difference is that nodes whose quorum
//! set is unsatisfiable (a threshold above its entries, as stellarbeat writes 2^53 - 1) are
//! read as having none. Nodes whose quorum set is missing, null, empty or unsatisfiable take no
//! part (they are listed in [`Topology::skipped`]); validators named in quorum sets but absent
//! from the file are simply never heard from.
//!
//! Generators: `mesh:N:K` (every node trusts K of the N-1 others, MobileCoin's `dense_mesh`),
//! `cycle:N` (node i trusts only node i+1, MobileCoin's `directed_cycle`) and `orgs:O:S`
//! (O organisations of S servers; every node needs a simple majority of the servers of more
//! than two thirds of the organisations, its own included).

use std::collections::{BTreeMap, HashMap};

use mcnode_fbas::input::{InputError, Unsatisfiable, parse_stellarbeat_with};
use mcnode_fbas::{BuildError, Fbas, QSet};
use mcnode_scp::QuorumSet;
use mcnode_types::{Hash32, NodeId};

/// Domain tag for ids derived from plain names.
pub const NODE_NAME_DOMAIN: &[u8] = b"mcnode-sim-node";

/// One simulated node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// The name as written in the file (the public key or the plain name).
    pub key: String,
    /// A short human label (the file's `name` or `hostname` when present, else `key`).
    pub label: String,
    /// Its SCP identity.
    pub id: NodeId,
    /// Its quorum set.
    pub qset: QuorumSet,
}

/// A network to simulate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    /// The participating nodes, in file order.
    pub nodes: Vec<NodeSpec>,
    /// Keys of nodes in the file that take no part (no usable quorum set).
    pub skipped: Vec<String>,
    /// Where it came from (file name or generator), for display.
    pub source: String,
}

/// Why a topology cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// Not JSON in the stellarbeat node format.
    #[error("not a stellarbeat node list: {reason}")]
    Format {
        /// What serde said.
        reason: String,
    },
    /// The same node twice.
    #[error("node {key} appears twice in the topology")]
    DuplicateNode {
        /// The repeated key.
        key: String,
    },
    /// A quorum set that fails validation.
    #[error("quorum set of node {key} is invalid: {reason}")]
    BadQuorumSet {
        /// The node.
        key: String,
        /// Why.
        reason: String,
    },
    /// No node has a usable quorum set.
    #[error("the topology has no node with a usable quorum set")]
    Empty,
    /// A generator string with bad numbers.
    #[error("bad generator {spec:?}: {reason} (use mesh:N:K, cycle:N or orgs:O:S)")]
    Generator {
        /// The text given.
        spec: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A node name that matches no node or several.
    #[error("unknown node {name:?} (use a publicKey, name or hostname from the topology)")]
    UnknownNode {
        /// The name given.
        name: String,
    },
    /// A node name that matches several nodes.
    #[error("node name {name:?} is ambiguous: it matches several nodes")]
    AmbiguousNode {
        /// The name given.
        name: String,
    },
}

/// The id a node name stands for: the key it spells, or a digest of the name.
pub fn node_id_for(name: &str) -> NodeId {
    match name.parse::<NodeId>() {
        Ok(id) => id,
        Err(_) => NodeId(Hash32::digest(NODE_NAME_DOMAIN, name.as_bytes()).0),
    }
}

/// An SCP quorum set from a validated one of `mcnode-fbas`, naming members by [`node_id_for`].
fn convert(f: &Fbas, q: &QSet) -> Result<QuorumSet, String> {
    let threshold = u32::try_from(q.threshold).map_err(|_| "threshold too large".to_string())?;
    let validators = q.validators.iter().map(|&v| node_id_for(&f.nodes()[v].id)).collect();
    let inner_sets = q.inner.iter().map(|i| convert(f, i)).collect::<Result<_, _>>()?;
    Ok(QuorumSet { threshold, validators, inner_sets })
}

/// A reading error of `mcnode-fbas`, in this module's terms.
fn topology_error(e: InputError) -> TopologyError {
    match e {
        InputError::Invalid(BuildError::DuplicateNode { node }) => {
            TopologyError::DuplicateNode { key: node }
        }
        InputError::Invalid(
            ref b @ (BuildError::ZeroThreshold { ref node, .. }
            | BuildError::ThresholdAboveMembers { ref node, .. }
            | BuildError::TooDeep { ref node, .. }
            | BuildError::DuplicateValidator { ref node, .. }
            | BuildError::TooManyValidators { ref node, .. }
            | BuildError::NotANodeId { ref node, .. }),
        ) => TopologyError::BadQuorumSet { key: node.clone(), reason: b.to_string() },
        other => TopologyError::Format { reason: other.to_string() },
    }
}

impl Topology {
    /// Parses a stellarbeat node list from JSON text with `mcnode-fbas`'s reader (the one
    /// `mcnode quorum` uses), reading unsatisfiable quorum sets as none.
    pub fn from_stellarbeat_str(text: &str, source: &str) -> Result<Self, TopologyError> {
        let read = parse_stellarbeat_with(text, Unsatisfiable::AsNone).map_err(topology_error)?;
        let f = &read.fbas;
        let mut topo = Topology { source: source.to_string(), ..Topology::default() };
        let mut ids = HashMap::new();
        // Defined nodes come first, in file order; the rest are only named in quorum sets.
        for node in f.nodes().iter().filter(|n| !n.unknown) {
            let id = node_id_for(&node.id);
            if ids.insert(id, ()).is_some() {
                return Err(TopologyError::DuplicateNode { key: node.id.clone() });
            }
            let Some(q) = &node.qset else {
                topo.skipped.push(node.id.clone());
                continue;
            };
            let bad = |reason: String| TopologyError::BadQuorumSet { key: node.id.clone(), reason };
            let qset = convert(f, q).map_err(bad)?;
            qset.validate().map_err(|e| bad(e.to_string()))?;
            let label = node.name.clone().unwrap_or_else(|| node.id.clone());
            topo.nodes.push(NodeSpec { key: node.id.clone(), label, id, qset });
        }
        if topo.nodes.is_empty() {
            return Err(TopologyError::Empty);
        }
        Ok(topo)
    }

    /// Parses a stellarbeat node list from a JSON value (an inline `topology` array).
    pub fn from_stellarbeat_value(
        value: serde_json::Value,
        source: &str,
    ) -> Result<Self, TopologyError> {
        Self::from_stellarbeat_str(&value.to_string(), source)
    }

    /// Builds a generated topology from `mesh:N:K`, `cycle:N` or `orgs:O:S`; `None` when `spec`
    /// is not a generator string at all (then it is a file name).
    pub fn generate(spec: &str) -> Option<Result<Self, TopologyError>> {
        let mut parts = spec.split(':');
        let kind = parts.next()?;
        if !matches!(kind, "mesh" | "cycle" | "orgs") {
            return None;
        }
        let nums: Result<Vec<u32>, _> = parts.map(str::parse::<u32>).collect();
        let err = |reason| Some(Err(TopologyError::Generator { spec: spec.to_string(), reason }));
        let Ok(nums) = nums else { return err("parameters must be whole numbers") };
        match (kind, nums.as_slice()) {
            ("mesh", [n, k]) if *n >= 1 && *n <= 1000 && (*k < *n || (*n == 1 && *k == 0)) => {
                Some(Ok(mesh(*n, *k)))
            }
            ("mesh", [_, _]) => err("mesh:N:K needs 1 <= N <= 1000 and K < N"),
            ("cycle", [n]) if *n >= 1 && *n <= 1000 => Some(Ok(cycle(*n))),
            ("cycle", [_]) => err("cycle:N needs 1 <= N <= 1000"),
            ("orgs", [o, s]) if *o >= 1 && *s >= 1 && o * s <= 1000 => Some(Ok(orgs(*o, *s))),
            ("orgs", [_, _]) => err("orgs:O:S needs O, S >= 1 and O*S <= 1000"),
            _ => err("wrong number of parameters"),
        }
    }

    /// Index of the node called `name` (its key, label, or `#i` for the i-th node).
    pub fn resolve(&self, name: &str) -> Result<usize, TopologyError> {
        if let Some(i) = name.strip_prefix('#').and_then(|s| s.parse::<usize>().ok())
            && i < self.nodes.len()
        {
            return Ok(i);
        }
        let by_key: Vec<usize> =
            (0..self.nodes.len()).filter(|i| self.nodes[*i].key == name).collect();
        let hits = if by_key.is_empty() {
            (0..self.nodes.len()).filter(|i| self.nodes[*i].label == name).collect()
        } else {
            by_key
        };
        match hits.as_slice() {
            [i] => Ok(*i),
            [] => Err(TopologyError::UnknownNode { name: name.to_string() }),
            _ => Err(TopologyError::AmbiguousNode { name: name.to_string() }),
        }
    }

    /// Index of each node id.
    pub fn index_of_ids(&self) -> BTreeMap<NodeId, usize> {
        self.nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect()
    }
}

fn named(names: Vec<String>, qsets: Vec<QuorumSet>, source: String) -> Topology {
    let nodes = names
        .into_iter()
        .zip(qsets)
        .map(|(key, qset)| NodeSpec { label: key.clone(), id: node_id_for(&key), key, qset })
        .collect();
    Topology { nodes, skipped: Vec::new(), source }
}

fn mesh(n: u32, k: u32) -> Topology {
    let names: Vec<String> = (0..n).map(|i| format!("node{i}")).collect();
    let ids: Vec<NodeId> = names.iter().map(|s| node_id_for(s)).collect();
    let qsets = (0..n as usize)
        .map(|i| {
            if n == 1 {
                // MobileCoin's (1, 0): a lone node trusts itself.
                return QuorumSet::singleton(ids[0]);
            }
            let others = ids.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, id)| *id);
            QuorumSet::new(k.max(1), others.collect())
        })
        .collect();
    named(names, qsets, format!("mesh:{n}:{k}"))
}

fn cycle(n: u32) -> Topology {
    let names: Vec<String> = (0..n).map(|i| format!("node{i}")).collect();
    let ids: Vec<NodeId> = names.iter().map(|s| node_id_for(s)).collect();
    let qsets =
        (0..n as usize).map(|i| QuorumSet::new(1, vec![ids[(i + 1) % n as usize]])).collect();
    named(names, qsets, format!("cycle:{n}"))
}

fn orgs(o: u32, s: u32) -> Topology {
    let mut names = Vec::new();
    let mut inner = Vec::new();
    for org in 0..o {
        let members: Vec<String> = (0..s).map(|v| format!("org{org}v{v}")).collect();
        let ids = members.iter().map(|m| node_id_for(m)).collect();
        inner.push(QuorumSet::new(s / 2 + 1, ids));
        names.extend(members);
    }
    let top = QuorumSet { threshold: 2 * o / 3 + 1, validators: Vec::new(), inner_sets: inner };
    let top = if o == 1 { top.inner_sets[0].clone() } else { top };
    let qsets = vec![top; names.len()];
    named(names, qsets, format!("orgs:{o}:{s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_and_keys_map_to_ids() {
        let b64 = "XVfN4JQH+6vkFzrzBNezoknl9eCiz3ZbubwyCeOdt/0=";
        assert_eq!(node_id_for(b64), b64.parse::<NodeId>().unwrap());
        assert_eq!(node_id_for("PK11"), node_id_for("PK11"));
        assert_ne!(node_id_for("PK11"), node_id_for("PK12"));
    }

    #[test]
    fn parses_inline_network_with_names_and_skips_nodes_without_qset() {
        let text = r#"[
          {"publicKey": "A", "name": "alpha", "quorumSet": {"threshold": 2, "validators": ["A", "B", "C"]}},
          {"publicKey": "B", "quorumSet": {"threshold": 2, "validators": ["A", "B", "C"], "innerQuorumSets": []}},
          {"publicKey": "C", "quorumSet": null},
          {"publicKey": "D", "quorumSet": {}}
        ]"#;
        let t = Topology::from_stellarbeat_str(text, "inline").unwrap();
        assert_eq!(t.nodes.len(), 2);
        assert_eq!(t.skipped, vec!["C".to_string(), "D".to_string()]);
        assert_eq!(t.resolve("alpha").unwrap(), 0);
        assert_eq!(t.resolve("A").unwrap(), 0);
        assert_eq!(t.resolve("#1").unwrap(), 1);
        assert!(matches!(t.resolve("Z"), Err(TopologyError::UnknownNode { .. })));
    }

    #[test]
    fn rejects_malformed_duplicate_and_invalid() {
        assert!(matches!(
            Topology::from_stellarbeat_str("{", "x"),
            Err(TopologyError::Format { .. })
        ));
        assert!(matches!(
            Topology::from_stellarbeat_str(r#"[{"name": "no key"}]"#, "x"),
            Err(TopologyError::Format { .. })
        ));
        let dup = r#"[{"publicKey":"A","quorumSet":{"threshold":1,"validators":["A"]}},
                      {"publicKey":"A","quorumSet":{"threshold":1,"validators":["A"]}}]"#;
        assert!(matches!(
            Topology::from_stellarbeat_str(dup, "x"),
            Err(TopologyError::DuplicateNode { .. })
        ));
        let bad = r#"[{"publicKey":"A","quorumSet":{"threshold":1,"validators":["A","A"]}}]"#;
        assert!(matches!(
            Topology::from_stellarbeat_str(bad, "x"),
            Err(TopologyError::BadQuorumSet { .. })
        ));
        let unsat = r#"[{"publicKey":"A","quorumSet":{"threshold":1,"validators":["A"]}},
                        {"publicKey":"B","quorumSet":{"threshold":9007199254740991,"validators":["A"]}},
                        {"publicKey":"C","quorumSet":{"threshold":1,"validators":[],
                          "innerQuorumSets":[{"threshold":3,"validators":["A"]}]}}]"#;
        let t = Topology::from_stellarbeat_str(unsat, "x").unwrap();
        assert_eq!(t.skipped, vec!["B".to_string(), "C".to_string()]);
        assert!(matches!(Topology::from_stellarbeat_str("[]", "x"), Err(TopologyError::Empty)));
    }

    #[test]
    fn reads_files_as_mcnode_quorum_does() {
        // A slice needing nobody: `mcnode quorum` (mcnode-fbas) refuses the file, and so does
        // the simulator (its own reader used to skip the node silently).
        let zero = r#"[{"publicKey":"A","quorumSet":{"threshold":1,"validators":["A"]}},
                       {"publicKey":"B","quorumSet":{"threshold":0,"validators":["A"]}}]"#;
        assert!(mcnode_fbas::input::parse_stellarbeat(zero).is_err());
        assert!(matches!(
            Topology::from_stellarbeat_str(zero, "x"),
            Err(TopologyError::BadQuorumSet { key, .. }) if key == "B"
        ));
        // Labels as mcnode-fbas reads them: `name`, else `hostname`.
        let host = r#"[{"publicKey":"A","hostname":"a.example","quorumSet":{"threshold":1,"validators":["A"]}}]"#;
        assert_eq!(Topology::from_stellarbeat_str(host, "x").unwrap().nodes[0].label, "a.example");
    }

    #[test]
    fn generators_build_the_documented_shapes() {
        let m = Topology::generate("mesh:5:3").unwrap().unwrap();
        assert_eq!(m.nodes.len(), 5);
        assert_eq!(m.nodes[0].qset.threshold, 3);
        assert_eq!(m.nodes[0].qset.validators.len(), 4);
        assert!(!m.nodes[0].qset.validators.contains(&m.nodes[0].id));
        let c = Topology::generate("cycle:3").unwrap().unwrap();
        assert_eq!(c.nodes[2].qset.validators, vec![c.nodes[0].id]);
        let o = Topology::generate("orgs:4:5").unwrap().unwrap();
        assert_eq!(o.nodes.len(), 20);
        assert_eq!(o.nodes[7].qset.threshold, 3);
        assert_eq!(o.nodes[7].qset.inner_sets[1].threshold, 3);
        assert!(Topology::generate("mesh:3").unwrap().is_err());
        assert!(Topology::generate("mesh:3:3").unwrap().is_err());
        assert!(Topology::generate("cycle:x").unwrap().is_err());
        assert!(Topology::generate("net.json").is_none());
        let one = Topology::generate("mesh:1:0").unwrap().unwrap();
        for t in [m, c, o, one] {
            for n in &t.nodes {
                n.qset.validate().unwrap();
            }
        }
    }
}
