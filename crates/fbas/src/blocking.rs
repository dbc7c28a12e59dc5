//! Minimal blocking sets: sets of groups whose failure (crash) leaves no quorum among the other
//! nodes, so that no correct node can make progress (liveness; SCP paper §3.2 on v-blocking
//! sets, lifted to the whole network as in fbas_analyzer).
//!
//! A set blocks iff it meets every quorum, i.e. every minimal quorum: minimal blocking sets are
//! the minimal hitting sets of the minimal quorums. The search branches on the groups of one
//! quorum the current set misses (each extension must hit it), forbidding the earlier branches'
//! groups in later ones so no set is produced twice, and prunes a branch when the forbidden nodes
//! alone hold a quorum (it can never be hit). Minimal quorums met along the way are kept and
//! reused as witnesses, so the costly shrink to a minimal quorum runs once per quorum.

use crate::groups::Grouping;
use crate::quorums::{self, Budget};
use crate::{Fbas, NodeSet};

/// A family of sets of groups, smallest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetFamily {
    /// Each set's groups, sorted; sets sorted by size, then lexicographically.
    pub sets: Vec<Vec<usize>>,
    /// Whether the search finished within its budget.
    pub complete: bool,
}

impl SetFamily {
    /// Smallest and largest set size.
    pub fn size_range(&self) -> Option<(usize, usize)> {
        Some((self.sets.first()?.len(), self.sets.last()?.len()))
    }

    /// The sets of the smallest size.
    pub fn smallest(&self) -> Vec<Vec<usize>> {
        let min = self.sets.first().map_or(0, Vec::len);
        self.sets.iter().take_while(|s| s.len() == min).cloned().collect()
    }

    pub(crate) fn new(mut sets: Vec<Vec<usize>>, complete: bool) -> Self {
        for s in &mut sets {
            s.sort_unstable();
        }
        sets.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        sets.dedup();
        SetFamily { sets, complete }
    }
}

/// Whether the nodes of `groups` block the network.
pub fn is_blocking(fbas: &Fbas, grouping: &Grouping, groups: &[usize]) -> bool {
    let mut rest = fbas.all();
    rest.difference_with(&grouping.nodes_of(groups, fbas.len()));
    fbas.max_quorum(&rest).is_empty()
}

struct Search<'a> {
    fbas: &'a Fbas,
    grouping: &'a Grouping,
    known: Vec<NodeSet>,
    found: Vec<Vec<usize>>,
    budget: Budget,
    out_of_budget: bool,
}

/// All minimal blocking sets of groups.
pub fn minimal_blocking_sets(fbas: &Fbas, grouping: &Grouping, budget: Budget) -> SetFamily {
    let mut s = Search {
        fbas,
        grouping,
        known: Vec::new(),
        found: Vec::new(),
        budget,
        out_of_budget: false,
    };
    if fbas.max_quorum(&fbas.all()).is_empty() {
        // Nothing to block: the empty set already blocks.
        return SetFamily::new(vec![vec![]], true);
    }
    s.step(&mut Vec::new(), &fbas.empty_set(), &fbas.empty_set(), &mut vec![false; grouping.len()]);
    let candidates = std::mem::take(&mut s.found);
    let minimal: Vec<Vec<usize>> = candidates
        .into_iter()
        .filter(|b| {
            (0..b.len()).all(|i| {
                let mut smaller = b.clone();
                smaller.remove(i);
                !is_blocking(fbas, grouping, &smaller)
            })
        })
        .collect();
    SetFamily::new(minimal, !s.out_of_budget)
}

impl Search<'_> {
    fn step(
        &mut self,
        chosen: &mut Vec<usize>,
        chosen_nodes: &NodeSet,
        forbidden: &NodeSet,
        forbidden_g: &mut [bool],
    ) {
        if self.out_of_budget || !self.budget.spend() {
            self.out_of_budget = true;
            return;
        }
        let n = self.fbas.len();
        // Prune: a quorum made of forbidden nodes can never be hit.
        if self.known.iter().any(|q| q.is_subset(forbidden))
            || !self.fbas.max_quorum(forbidden).is_empty()
        {
            return;
        }
        // Witness: a known minimal quorum the chosen set misses, with the fewest free nodes.
        let mut witness: Option<(usize, usize)> = None;
        for (i, q) in self.known.iter().enumerate() {
            if q.is_disjoint(chosen_nodes) {
                let mut free = q.clone();
                free.difference_with(forbidden);
                let c = free.len();
                if witness.is_none_or(|(_, best)| c < best) {
                    witness = Some((i, c));
                }
            }
        }
        let witness = match witness {
            Some((i, _)) => self.known[i].clone(),
            None => {
                let mut rest = self.fbas.all();
                rest.difference_with(chosen_nodes);
                let q = self.fbas.max_quorum(&rest);
                if q.is_empty() {
                    self.found.push(chosen.clone());
                    return;
                }
                let mut free = NodeSet::full(n);
                free.difference_with(forbidden);
                let m = quorums::shrink_to_minimal(self.fbas, &q, Some(&free));
                self.known.push(m.clone());
                m
            }
        };
        let branch: Vec<usize> = self
            .grouping
            .groups_touching(&witness)
            .into_iter()
            .filter(|&g| !forbidden_g[g])
            .collect();
        let mut forb = forbidden.clone();
        let mut newly = Vec::new();
        for g in branch {
            let mut nodes = chosen_nodes.clone();
            nodes.union_with(self.grouping.members(g));
            chosen.push(g);
            self.step(chosen, &nodes, &forb, forbidden_g);
            chosen.pop();
            forb.union_with(self.grouping.members(g));
            forbidden_g[g] = true;
            newly.push(g);
        }
        for g in newly {
            forbidden_g[g] = false;
        }
    }
}
