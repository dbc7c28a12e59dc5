//! Checks of a whole network as far as a node can know it: the quorum sets it was given (other
//! nodes' configurations, or a stellarbeat network file) and its own.
//!
//! - Intersection (SCP paper §3.2: without it no protocol keeps the network from forking),
//!   decided by `mcnode-fbas`. Nodes named in quorum sets whose own sets are unknown are treated
//!   as in no quorum (the fbas convention); so two disjoint quorums found are a real split, and
//!   "they intersect" is only final when no node is unknown ([`NetworkReport::unknown`]).
//! - Consistency of several configurations of one network: the attested parameters (chain id,
//!   minimum fees, fee recipient; peers compare their configuration digests and refuse each
//!   other otherwise), the origin block, and each peer address against that peer's own
//!   `peer_listen`.

use std::collections::BTreeMap;

use mcnode_fbas::{BuildError, Fbas};
use mcnode_scp::QuorumSet;
use mcnode_types::{Hash32, NodeId};

use super::schema::NodeConfig;

/// Why the network cannot be checked.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The quorum sets do not form a network (a name that is not a node id, a duplicate).
    #[error("cannot build the network: {0}")]
    Build(#[from] BuildError),
    /// The intersection search gave up (a very large network).
    #[error("the intersection search gave up: {0}")]
    GaveUp(String),
}

/// The intersection verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkReport {
    /// Nodes whose quorum set is known.
    pub known: usize,
    /// Nodes named in quorum sets whose own quorum set is unknown.
    pub unknown: Vec<String>,
    /// Some quorum exists among the known nodes.
    pub has_quorum: bool,
    /// Two disjoint quorums, if any (node ids).
    pub split: Option<(Vec<String>, Vec<String>)>,
}

impl NetworkReport {
    /// Whether the check found a definite problem: a split, or no quorum at all while every
    /// node is known.
    pub fn is_problem(&self) -> bool {
        self.split.is_some() || (!self.has_quorum && self.unknown.is_empty())
    }
}

/// Checks intersection of `nodes` (id and quorum set) together with `extra` (a network file's
/// nodes; a node in both keeps the quorum set from `nodes`).
pub fn check(
    nodes: &[(NodeId, QuorumSet)],
    extra: Option<&Fbas>,
) -> Result<NetworkReport, NetworkError> {
    let mut all: BTreeMap<NodeId, QuorumSet> = BTreeMap::new();
    if let Some(f) = extra {
        for (i, n) in f.nodes().iter().enumerate() {
            let id =
                n.id.parse::<NodeId>()
                    .map_err(|source| BuildError::NotANodeId { node: n.id.clone(), source })?;
            if let Some(q) = f.quorum_set_of(i)? {
                all.insert(id, q);
            }
        }
    }
    for (id, q) in nodes {
        all.insert(*id, q.clone());
    }
    let known = all.len();
    let fbas = Fbas::from_quorum_sets(all.into_iter().map(|(id, q)| (id, Some(q))))?;
    let i =
        mcnode_fbas::check_intersection(&fbas).map_err(|e| NetworkError::GaveUp(e.to_string()))?;
    let unknown = fbas.unknown_nodes().into_iter().map(|u| fbas.nodes()[u].id.clone()).collect();
    Ok(NetworkReport {
        known,
        unknown,
        has_quorum: i.has_quorum,
        split: i.split.as_ref().map(|(a, b)| (fbas.ids(a), fbas.ids(b))),
    })
}

/// A disagreement between configurations of one network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// Different attested parameters (the nodes' enclaves would refuse each other), or
    /// different origin blocks (they could never agree on a block).
    #[error("{field} differs between {a} and {b}: these nodes cannot work together")]
    Attested {
        /// `chain_id`, `fees.minimum`, `fees.recipient` or `ledger.origin`.
        field: &'static str,
        /// One configuration's label.
        a: String,
        /// The other's.
        b: String,
    },
    /// A peer entry whose address is not where that peer listens.
    #[error(
        "{config}: peer {peer} is given address {given}, but its configuration listens on {listens}"
    )]
    PeerAddress {
        /// The configuration with the entry.
        config: String,
        /// The peer.
        peer: NodeId,
        /// The address in the entry.
        given: String,
        /// The peer's `peer_listen`.
        listens: String,
    },
}

/// One configuration of a network, with what was learned from its files.
#[derive(Clone, Debug)]
pub struct Member<'a> {
    /// A label for people (the file name).
    pub label: String,
    /// This node's id (from its key), if known.
    pub node_id: Option<NodeId>,
    /// The id of the origin block its origin file makes, if known.
    pub origin_block: Option<Hash32>,
    /// The configuration.
    pub config: &'a NodeConfig,
}

/// Compares the configurations of one network.
pub fn consistency(members: &[Member<'_>]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some((first, rest)) = members.split_first() {
        let a = first.config;
        for m in rest {
            let b = m.config;
            let differs =
                |x: Option<Hash32>, y: Option<Hash32>| x.zip(y).is_some_and(|(x, y)| x != y);
            let attested = [
                ("chain_id", a.chain_id != b.chain_id),
                ("fees.minimum", a.fees.minimum != b.fees.minimum),
                ("fees.recipient", a.fees.recipient != b.fees.recipient),
                ("ledger.origin", differs(first.origin_block, m.origin_block)),
            ];
            for (field, differs) in attested {
                if differs {
                    let (a, b) = (first.label.clone(), m.label.clone());
                    out.push(Mismatch::Attested { field, a, b });
                }
            }
        }
    }
    let listens: BTreeMap<NodeId, String> = members
        .iter()
        .filter_map(|m| m.node_id.map(|id| (id, m.config.peer_listen.to_string())))
        .collect();
    for Member { label, config: c, .. } in members {
        for p in &c.peers {
            if let Some(l) = listens.get(&p.id).filter(|l| !same_endpoint(&p.address, l)) {
                out.push(Mismatch::PeerAddress {
                    config: label.clone(),
                    peer: p.id,
                    given: p.address.clone(),
                    listens: l.clone(),
                });
            }
        }
    }
    out
}

/// Equal, or equal ports with the listener on an unspecified address (`0.0.0.0`, `[::]`).
fn same_endpoint(given: &str, listens: &str) -> bool {
    if given == listens {
        return true;
    }
    let port = |s: &str| s.rsplit_once(':').map(|(h, p)| (h.to_string(), p.to_string()));
    match (port(given), port(listens)) {
        (Some((_, pg)), Some((hl, pl))) => pg == pl && (hl == "0.0.0.0" || hl == "[::]"),
        _ => false,
    }
}
