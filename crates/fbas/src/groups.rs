//! Groupings: the units in which results are counted (single nodes, or organisations).
//!
//! A group-level blocking or splitting set is a set of groups whose member nodes, taken
//! together, block or split the network: "if these organisations fail (all their nodes), ...".
//! Every node belongs to exactly one group; nodes outside every organisation form their own.

use crate::{Fbas, NodeSet};

/// A partition of a network's nodes into labelled groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouping {
    members: Vec<NodeSet>,
    labels: Vec<String>,
    group_of: Vec<usize>,
    organisations: bool,
}

impl Grouping {
    /// Every node its own group, labelled by its key.
    pub fn per_node(fbas: &Fbas) -> Self {
        let n = fbas.len();
        Grouping {
            members: (0..n).map(|i| NodeSet::from_indices(n, [i])).collect(),
            labels: fbas.nodes().iter().map(|x| x.id.clone()).collect(),
            group_of: (0..n).collect(),
            organisations: false,
        }
    }

    /// Named groups (each node in at most one; empty groups are dropped), then every other node
    /// alone.
    pub fn from_groups(fbas: &Fbas, groups: Vec<(String, Vec<usize>)>) -> Self {
        let n = fbas.len();
        let mut g = Grouping {
            members: vec![],
            labels: vec![],
            group_of: vec![usize::MAX; n],
            organisations: true,
        };
        for (label, nodes) in groups {
            if nodes.is_empty() {
                continue;
            }
            let gi = g.members.len();
            for &v in &nodes {
                g.group_of[v] = gi;
            }
            g.members.push(NodeSet::from_indices(n, nodes));
            g.labels.push(label);
        }
        for v in 0..n {
            if g.group_of[v] == usize::MAX {
                g.group_of[v] = g.members.len();
                g.members.push(NodeSet::from_indices(n, [v]));
                g.labels.push(fbas.nodes()[v].id.clone());
            }
        }
        g
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether this grouping came from an organisations file.
    pub fn is_organisations(&self) -> bool {
        self.organisations
    }

    /// Label of group `g`.
    pub fn label(&self, g: usize) -> &str {
        &self.labels[g]
    }

    /// Members of group `g`.
    pub fn members(&self, g: usize) -> &NodeSet {
        &self.members[g]
    }

    /// The group of node `v`.
    pub fn group_of(&self, v: usize) -> usize {
        self.group_of[v]
    }

    /// All nodes of the given groups.
    pub fn nodes_of(&self, groups: &[usize], capacity: usize) -> NodeSet {
        let mut s = NodeSet::empty(capacity);
        for &g in groups {
            s.union_with(&self.members[g]);
        }
        s
    }

    /// Groups with at least one node in `set`, sorted.
    pub fn groups_touching(&self, set: &NodeSet) -> Vec<usize> {
        let mut gs: Vec<usize> = set.iter().map(|v| self.group_of[v]).collect();
        gs.sort_unstable();
        gs.dedup();
        gs
    }

    /// Labels of the given groups.
    pub fn labels_of(&self, groups: &[usize]) -> Vec<String> {
        groups.iter().map(|&g| self.labels[g].clone()).collect()
    }
}
