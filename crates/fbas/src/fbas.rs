//! The federated Byzantine agreement system (FBAS) model: nodes, their quorum sets, and the
//! quorum predicates (SCP paper §3: a quorum is a non-empty set of nodes containing a slice of
//! each member).
//!
//! Nodes are indexed by their name as it appears in the input (a `G...` strkey, a base64 key or
//! any other string such as `"PK11"`); [`Fbas::quorum_set_of`] and [`Fbas::from_quorum_sets`]
//! convert to and from the SCP core's [`mcnode_scp::QuorumSet`] where names are node ids.
//!
//! Conventions (shared with stellar-core and fbas_analyzer): a quorum set counts its members as
//! given; a node is not implicitly in its own slices unless its quorum set names it. A node with
//! no quorum set (null, missing, or with no members at all) has no satisfiable slice and is in no
//! quorum. Validators named in quorum sets but not defined are *unknown* nodes: they are kept
//! (flagged, with no quorum set), never dropped.

use std::collections::HashMap;

use mcnode_scp::QuorumSet;
use mcnode_types::NodeId;

use crate::NodeSet;

/// Deepest nesting accepted: the top-level set is depth 0, its inner sets depth 1 (as
/// stellar-core's `MAXIMUM_QUORUM_NESTING_LEVEL`).
pub const MAX_NESTING_DEPTH: usize = 4;
/// Most validators accepted in one node's quorum set, all levels together (as stellar-core).
pub const MAX_QSET_VALIDATORS: usize = 1000;

/// A quorum set over node indices: `threshold` of the entries (each validator and each inner set
/// counts as one entry) must be satisfied.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QSet {
    /// How many entries must be satisfied (always `1..=entries` after validation).
    pub threshold: usize,
    /// Validators (node indices).
    pub validators: Vec<usize>,
    /// Nested sets.
    pub inner: Vec<QSet>,
}

impl QSet {
    /// Whether `set` satisfies this quorum set.
    pub fn is_satisfied(&self, set: &NodeSet) -> bool {
        let mut count = 0;
        let mut missing = self.validators.len() + self.inner.len();
        for &v in &self.validators {
            if set.contains(v) {
                count += 1;
                if count >= self.threshold {
                    return true;
                }
            } else {
                missing -= 1;
                if missing < self.threshold {
                    return false;
                }
            }
        }
        for q in &self.inner {
            if q.is_satisfied(set) {
                count += 1;
                if count >= self.threshold {
                    return true;
                }
            } else {
                missing -= 1;
                if missing < self.threshold {
                    return false;
                }
            }
        }
        count >= self.threshold
    }

    /// Every validator at every level.
    pub fn all_validators(&self, out: &mut Vec<usize>) {
        out.extend_from_slice(&self.validators);
        for q in &self.inner {
            q.all_validators(out);
        }
    }
}

/// One node of the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's key as written in the input.
    pub id: String,
    /// A human-readable name, when the input has one.
    pub name: Option<String>,
    /// Its quorum set; `None` means no satisfiable slice.
    pub qset: Option<QSet>,
    /// Named only inside quorum sets, never defined.
    pub unknown: bool,
}

/// A quorum set with string member names, before validation.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RawQSet {
    /// Entries needed.
    pub threshold: u64,
    /// Validator names.
    pub validators: Vec<String>,
    /// Nested sets.
    pub inner: Vec<RawQSet>,
}

impl RawQSet {
    /// Whether every level's threshold is at most its entries (validators plus inner sets):
    /// false for the sets stellarbeat marks unsatisfiable.
    pub fn thresholds_reachable(&self) -> bool {
        self.threshold <= (self.validators.len() + self.inner.len()) as u64
            && self.inner.iter().all(RawQSet::thresholds_reachable)
    }
}

/// A node definition with string names, before validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawNode {
    /// The node's key.
    pub id: String,
    /// Optional display name.
    pub name: Option<String>,
    /// Its quorum set, if any.
    pub qset: Option<RawQSet>,
}

/// Why a network definition is rejected. Every variant names the node and, for quorum-set
/// problems, the path of the offending set inside it (`quorumSet.innerQuorumSets[2]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The same node is defined twice.
    #[error("node {node} is defined twice")]
    DuplicateNode {
        /// The node's key.
        node: String,
    },
    /// A threshold of zero is always satisfied: no safety at all.
    #[error("node {node}: {path} has threshold 0 (a slice must need at least one member)")]
    ZeroThreshold {
        /// The node's key.
        node: String,
        /// Where in its quorum set.
        path: String,
    },
    /// A threshold that no set of members can reach.
    #[error("node {node}: {path} has threshold {threshold} but only {members} members")]
    ThresholdAboveMembers {
        /// The node's key.
        node: String,
        /// Where in its quorum set.
        path: String,
        /// The threshold given.
        threshold: u64,
        /// Validators plus inner sets at that level.
        members: usize,
    },
    /// Nesting deeper than [`MAX_NESTING_DEPTH`].
    #[error("node {node}: {path} is nested {depth} levels deep (at most {MAX_NESTING_DEPTH})")]
    TooDeep {
        /// The node's key.
        node: String,
        /// Where in its quorum set.
        path: String,
        /// Its depth.
        depth: usize,
    },
    /// A validator listed twice in one quorum set (at any levels).
    #[error("node {node}: validator {validator} appears more than once in its quorum set")]
    DuplicateValidator {
        /// The node's key.
        node: String,
        /// The repeated validator.
        validator: String,
    },
    /// More than [`MAX_QSET_VALIDATORS`] validators.
    #[error("node {node}: {count} validators in its quorum set (at most {MAX_QSET_VALIDATORS})")]
    TooManyValidators {
        /// The node's key.
        node: String,
        /// How many.
        count: usize,
    },
    /// A node name that is not a node id, where one is required.
    #[error("node {node}: not a node id: {source}")]
    NotANodeId {
        /// The name.
        node: String,
        /// Why.
        source: mcnode_types::ParseNodeIdError,
    },
}

/// A validated network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fbas {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    /// For each node, the nodes whose quorum sets name it (derived from `nodes`).
    dependents: Vec<Vec<usize>>,
}

impl Fbas {
    /// Validates and indexes node definitions. Defined nodes keep their input order (indices
    /// `0..defs.len()`); unknown nodes follow in order of first mention.
    pub fn from_raw(defs: Vec<RawNode>) -> Result<Fbas, BuildError> {
        let mut fbas = Fbas {
            nodes: Vec::with_capacity(defs.len()),
            index: HashMap::new(),
            dependents: vec![],
        };
        for d in &defs {
            if fbas.index.insert(d.id.clone(), fbas.nodes.len()).is_some() {
                return Err(BuildError::DuplicateNode { node: d.id.clone() });
            }
            fbas.nodes.push(Node {
                id: d.id.clone(),
                name: d.name.clone(),
                qset: None,
                unknown: false,
            });
        }
        for (i, d) in defs.into_iter().enumerate() {
            let Some(raw) = d.qset else { continue };
            if raw.validators.is_empty() && raw.inner.is_empty() {
                continue; // stellarbeat writes "no quorum set" as an empty set
            }
            let mut seen = Vec::new();
            raw.all_names(&mut seen);
            if seen.len() > MAX_QSET_VALIDATORS {
                return Err(BuildError::TooManyValidators { node: d.id, count: seen.len() });
            }
            seen.sort_unstable();
            if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
                return Err(BuildError::DuplicateValidator { node: d.id, validator: w[0].clone() });
            }
            let q = fbas.convert(&d.id, &raw, "quorumSet".to_string(), 0)?;
            fbas.nodes[i].qset = Some(q);
        }
        fbas.dependents = fbas.compute_dependents();
        Ok(fbas)
    }

    fn convert(
        &mut self,
        node: &str,
        raw: &RawQSet,
        path: String,
        depth: usize,
    ) -> Result<QSet, BuildError> {
        if depth > MAX_NESTING_DEPTH {
            return Err(BuildError::TooDeep { node: node.to_string(), path, depth });
        }
        let members = raw.validators.len() + raw.inner.len();
        if raw.threshold == 0 {
            return Err(BuildError::ZeroThreshold { node: node.to_string(), path });
        }
        if raw.threshold > members as u64 {
            return Err(BuildError::ThresholdAboveMembers {
                node: node.to_string(),
                path,
                threshold: raw.threshold,
                members,
            });
        }
        let validators = raw.validators.iter().map(|v| self.intern(v)).collect();
        let mut inner = Vec::with_capacity(raw.inner.len());
        for (k, q) in raw.inner.iter().enumerate() {
            inner.push(self.convert(node, q, format!("{path}.innerQuorumSets[{k}]"), depth + 1)?);
        }
        // `threshold <= members` was checked, and members fit in usize.
        Ok(QSet { threshold: raw.threshold as usize, validators, inner })
    }

    fn intern(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(name.to_string(), i);
        self.nodes.push(Node { id: name.to_string(), name: None, qset: None, unknown: true });
        i
    }

    /// Builds a network from SCP quorum sets (`None`: the node has no quorum set).
    pub fn from_quorum_sets(
        defs: impl IntoIterator<Item = (NodeId, Option<QuorumSet>)>,
    ) -> Result<Fbas, BuildError> {
        fn raw(q: &QuorumSet) -> RawQSet {
            RawQSet {
                threshold: u64::from(q.threshold),
                validators: q.validators.iter().map(|v| v.to_strkey()).collect(),
                inner: q.inner_sets.iter().map(raw).collect(),
            }
        }
        Fbas::from_raw(
            defs.into_iter()
                .map(|(id, q)| RawNode {
                    id: id.to_strkey(),
                    name: None,
                    qset: q.as_ref().map(raw),
                })
                .collect(),
        )
    }

    /// Node `i`'s quorum set as an SCP quorum set (`Ok(None)`: it has none). Fails if a name is
    /// not a node id (stellarbeat test files use names such as `"PK11"`).
    pub fn quorum_set_of(&self, i: usize) -> Result<Option<QuorumSet>, BuildError> {
        fn conv(f: &Fbas, q: &QSet) -> Result<QuorumSet, BuildError> {
            let mut validators = Vec::with_capacity(q.validators.len());
            for &v in &q.validators {
                let name = &f.nodes[v].id;
                let id = name
                    .parse::<NodeId>()
                    .map_err(|source| BuildError::NotANodeId { node: name.clone(), source })?;
                validators.push(id);
            }
            let inner_sets = q.inner.iter().map(|i| conv(f, i)).collect::<Result<_, _>>()?;
            // Validated thresholds are at most MAX_QSET_VALIDATORS + inner sets: they fit.
            let threshold = u32::try_from(q.threshold).unwrap_or(u32::MAX);
            Ok(QuorumSet { threshold, validators, inner_sets })
        }
        match self.nodes.get(i).and_then(|n| n.qset.as_ref()) {
            Some(q) => conv(self, q).map(Some),
            None => Ok(None),
        }
    }

    /// Number of nodes (defined and unknown).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// All nodes, by index.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Index of the node with this key.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Indices of unknown nodes.
    pub fn unknown_nodes(&self) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.nodes[i].unknown).collect()
    }

    /// The set of every node.
    pub fn all(&self) -> NodeSet {
        NodeSet::full(self.len())
    }

    /// An empty set sized for this network.
    pub fn empty_set(&self) -> NodeSet {
        NodeSet::empty(self.len())
    }

    /// Whether node `v` has a slice inside `set`.
    #[inline]
    pub fn is_satisfied(&self, v: usize, set: &NodeSet) -> bool {
        self.nodes[v].qset.as_ref().is_some_and(|q| q.is_satisfied(set))
    }

    /// Whether `set` is a quorum: non-empty, and each member has a slice inside it.
    pub fn is_quorum(&self, set: &NodeSet) -> bool {
        !set.is_empty() && set.iter().all(|v| self.is_satisfied(v, set))
    }

    /// The greatest quorum inside `within` (empty if there is none): repeatedly drop members
    /// without a slice among the rest. Quorums are closed under union, so this is the union of
    /// all quorums inside `within`.
    pub fn max_quorum(&self, within: &NodeSet) -> NodeSet {
        self.contract(within.clone(), None)
    }

    /// The greatest quorum when the nodes of `faulty` are counted as present in every slice
    /// (they may lie) but cannot be members: the quorums of the network after the paper's
    /// *delete* operation (SCP paper §3.2, Def. 6), restricted to `within ∖ faulty`.
    pub fn max_quorum_with_faulty(&self, within: &NodeSet, faulty: &NodeSet) -> NodeSet {
        let mut set = within.clone();
        set.difference_with(faulty);
        self.contract(set, Some(faulty))
    }

    /// Drops unsatisfied members, a round at a time, until none is left.
    fn contract(&self, mut set: NodeSet, faulty: Option<&NodeSet>) -> NodeSet {
        let mut with = set.clone();
        if let Some(f) = faulty {
            with.union_with(f);
        }
        let mut drop = Vec::new();
        loop {
            drop.clear();
            drop.extend(set.iter().filter(|&v| !self.is_satisfied(v, &with)));
            if drop.is_empty() {
                return set;
            }
            for &v in &drop {
                set.remove(v);
                with.remove(v);
            }
        }
    }

    /// A display label: the name if known, else the key.
    pub fn label(&self, i: usize) -> &str {
        let n = &self.nodes[i];
        n.name.as_deref().unwrap_or(&n.id)
    }

    /// The keys of a set's members, in index order.
    pub fn ids(&self, set: &NodeSet) -> Vec<String> {
        set.iter().map(|i| self.nodes[i].id.clone()).collect()
    }

    /// For each node, the nodes whose quorum sets name it (at any level).
    pub fn dependents(&self) -> &[Vec<usize>] {
        &self.dependents
    }

    fn compute_dependents(&self) -> Vec<Vec<usize>> {
        let mut deps = vec![Vec::new(); self.len()];
        let mut buf = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(q) = &n.qset {
                buf.clear();
                q.all_validators(&mut buf);
                for &v in &buf {
                    deps[v].push(i);
                }
            }
        }
        deps
    }
}

impl RawQSet {
    fn all_names(&self, out: &mut Vec<String>) {
        out.extend(self.validators.iter().cloned());
        for q in &self.inner {
            q.all_names(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(t: u64, v: &[&str], inner: Vec<RawQSet>) -> RawQSet {
        RawQSet { threshold: t, validators: v.iter().map(|s| s.to_string()).collect(), inner }
    }
    fn node(id: &str, qset: Option<RawQSet>) -> RawNode {
        RawNode { id: id.into(), name: None, qset }
    }

    #[test]
    fn quorum_predicates() {
        let f = Fbas::from_raw(vec![
            node("a", Some(q(2, &["a", "b", "c"], vec![]))),
            node("b", Some(q(2, &["a", "b", "c"], vec![]))),
            node("c", Some(q(2, &["a", "b", "c"], vec![]))),
            node("d", Some(q(1, &["x"], vec![]))),
        ])
        .unwrap();
        assert_eq!(f.len(), 5, "unknown node x is kept");
        assert_eq!(f.unknown_nodes(), vec![4]);
        let ab = NodeSet::from_indices(5, [0, 1]);
        assert!(f.is_quorum(&ab));
        assert!(!f.is_quorum(&NodeSet::from_indices(5, [0])));
        assert!(!f.is_quorum(&f.empty_set()), "the empty set is not a quorum");
        assert_eq!(f.max_quorum(&f.all()).to_vec(), vec![0, 1, 2]);
        assert!(f.max_quorum(&NodeSet::from_indices(5, [0, 3, 4])).is_empty());
        // With b faulty (counted everywhere), {a} alone is a quorum of the remaining network.
        let b = NodeSet::from_indices(5, [1]);
        assert_eq!(f.max_quorum_with_faulty(&NodeSet::from_indices(5, [0]), &b).to_vec(), vec![0]);
        // With x faulty, d trusts only x and becomes a quorum on its own.
        let x = NodeSet::from_indices(5, [4]);
        assert_eq!(f.max_quorum_with_faulty(&f.all(), &x).to_vec(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn validation_names_node_and_problem() {
        let e = Fbas::from_raw(vec![node("a", Some(q(0, &["a"], vec![])))]).unwrap_err();
        assert!(matches!(e, BuildError::ZeroThreshold { ref node, .. } if node == "a"));
        let e =
            Fbas::from_raw(vec![node("a", Some(q(1, &["a"], vec![q(3, &["b", "c"], vec![])])))])
                .unwrap_err();
        assert_eq!(
            e,
            BuildError::ThresholdAboveMembers {
                node: "a".into(),
                path: "quorumSet.innerQuorumSets[0]".into(),
                threshold: 3,
                members: 2
            }
        );
        let e = Fbas::from_raw(vec![node("a", None), node("a", None)]).unwrap_err();
        assert_eq!(e, BuildError::DuplicateNode { node: "a".into() });
        let e = Fbas::from_raw(vec![node("a", Some(q(1, &["b"], vec![q(1, &["b"], vec![])])))])
            .unwrap_err();
        assert!(
            matches!(e, BuildError::DuplicateValidator { ref validator, .. } if validator == "b")
        );
        // Depth 4 passes, depth 5 fails.
        let mut deep = q(1, &["v4"], vec![]);
        for d in (0..4).rev() {
            deep = q(1, &[&format!("v{d}")], vec![deep]);
        }
        assert!(Fbas::from_raw(vec![node("a", Some(deep.clone()))]).is_ok());
        let deeper = q(1, &["w"], vec![deep]);
        let e = Fbas::from_raw(vec![node("a", Some(deeper))]).unwrap_err();
        assert!(matches!(e, BuildError::TooDeep { depth: 5, .. }));
        // The stellarbeat sentinel for "no quorum set": huge threshold, no members.
        let f = Fbas::from_raw(vec![node("a", Some(q(9007199254740991, &[], vec![])))]).unwrap();
        assert!(f.nodes()[0].qset.is_none());
    }

    #[test]
    fn scp_quorum_set_round_trip() {
        let ids: Vec<NodeId> = (0..4u8).map(|i| NodeId([i; 32])).collect();
        let qs = QuorumSet {
            threshold: 2,
            validators: vec![ids[0], ids[1]],
            inner_sets: vec![QuorumSet {
                threshold: 1,
                validators: vec![ids[2], ids[3]],
                inner_sets: vec![],
            }],
        };
        let f = Fbas::from_quorum_sets(vec![(ids[0], Some(qs.clone())), (ids[1], None)]).unwrap();
        assert_eq!(f.quorum_set_of(0).unwrap(), Some(qs));
        assert_eq!(f.quorum_set_of(1).unwrap(), None);
        let g = Fbas::from_raw(vec![node("PK1", Some(q(1, &["PK1"], vec![])))]).unwrap();
        assert!(matches!(g.quorum_set_of(0), Err(BuildError::NotANodeId { .. })));
    }
}
