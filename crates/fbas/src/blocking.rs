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

/// Most minimal quorums kept in memory for the hitting-set search; past this the search falls
/// back to finding quorum witnesses on the fly.
const MAX_LISTED_QUORUMS: usize = 200_000;

/// All minimal blocking sets of groups.
pub fn minimal_blocking_sets(fbas: &Fbas, grouping: &Grouping, mut budget: Budget) -> SetFamily {
    // Fast path: list the minimal quorums, then enumerate their minimal hitting sets.
    let mut listed: Vec<NodeSet> = Vec::new();
    let mut b = Budget(budget.0 / 2);
    let complete = quorums::for_each_minimal_quorum(fbas, &mut b, &mut |q| {
        listed.push(q.clone());
        listed.len() < MAX_LISTED_QUORUMS
    });
    budget.0 -= budget.0 / 2 - b.0;
    if complete {
        return hitting_sets(grouping, &listed, budget);
    }
    minimal_blocking_sets_searching(fbas, grouping, budget)
}

/// All minimal blocking sets of groups, without listing the minimal quorums first (for networks
/// with too many of them): quorum witnesses are found on the fly.
pub fn minimal_blocking_sets_searching(
    fbas: &Fbas,
    grouping: &Grouping,
    budget: Budget,
) -> SetFamily {
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

/// Minimal hitting sets (in groups) of a family of node sets. The family must be every minimal
/// quorum: then "hits every member" is "blocking", and a hitting set is minimal iff each of its
/// groups is the only one hitting some member (its private quorum). Private quorums only vanish
/// as the set grows, so a branch where a chosen group has none is cut at once.
fn hitting_sets(grouping: &Grouping, quorums: &[NodeSet], budget: Budget) -> SetFamily {
    if quorums.is_empty() {
        return SetFamily::new(vec![vec![]], true);
    }
    // Renumber the groups that meet some quorum as 0..k.
    let mut relevant: Vec<usize> = Vec::new();
    let mut local = vec![usize::MAX; grouping.len()];
    let family: Vec<NodeSet> = {
        let as_groups: Vec<Vec<usize>> =
            quorums.iter().map(|q| grouping.groups_touching(q)).collect();
        for gs in &as_groups {
            for &g in gs {
                if local[g] == usize::MAX {
                    local[g] = relevant.len();
                    relevant.push(g);
                }
            }
        }
        let k = relevant.len();
        let mut f: Vec<NodeSet> = as_groups
            .iter()
            .map(|gs| NodeSet::from_indices(k, gs.iter().map(|&g| local[g])))
            .collect();
        f.sort();
        f.dedup();
        f
    };
    let k = relevant.len();
    let mut containing = vec![Vec::new(); k];
    for (i, q) in family.iter().enumerate() {
        for g in q.iter() {
            containing[g].push(i);
        }
    }
    let mut h = HitSearch {
        hits: vec![0; family.len()],
        family: &family,
        containing,
        chosen: NodeSet::empty(k),
        forbidden: NodeSet::empty(k),
        budget,
        found: Vec::new(),
        out_of_budget: false,
    };
    h.step();
    let sets = h.found.into_iter().map(|s| s.iter().map(|i| relevant[i]).collect()).collect();
    SetFamily::new(sets, !h.out_of_budget)
}

/// State of the hitting-set search; `hits[i]` is how many chosen groups meet set `i`.
struct HitSearch<'a> {
    family: &'a [NodeSet],
    containing: Vec<Vec<usize>>,
    hits: Vec<u32>,
    chosen: NodeSet,
    forbidden: NodeSet,
    budget: Budget,
    found: Vec<NodeSet>,
    out_of_budget: bool,
}

impl HitSearch<'_> {
    fn choose(&mut self, g: usize, on: bool) {
        if on {
            self.chosen.insert(g);
        } else {
            self.chosen.remove(g);
        }
        for &i in &self.containing[g] {
            if on {
                self.hits[i] += 1;
            } else {
                self.hits[i] -= 1;
            }
        }
    }

    /// Whether chosen group `g` is the only chosen group meeting some set (its private set).
    fn has_private(&self, g: usize) -> bool {
        self.containing[g].iter().any(|&i| self.hits[i] == 1)
    }

    fn step(&mut self) {
        if self.out_of_budget || !self.budget.spend() {
            self.out_of_budget = true;
            return;
        }
        let mut witness: Option<(usize, usize)> = None;
        for (i, q) in self.family.iter().enumerate() {
            if self.hits[i] == 0 {
                if q.is_subset(&self.forbidden) {
                    return; // can never be hit
                }
                let c = q.difference_len(&self.forbidden);
                if witness.is_none_or(|(_, best)| c < best) {
                    witness = Some((i, c));
                }
            }
        }
        let Some((w, _)) = witness else {
            self.found.push(self.chosen.clone());
            return;
        };
        let branch: Vec<usize> =
            self.family[w].iter().filter(|&g| !self.forbidden.contains(g)).collect();
        for &g in &branch {
            self.choose(g, true);
            // Cut when some chosen group lost its last private set (the set cannot be minimal).
            if self.chosen.iter().all(|c| self.has_private(c)) {
                self.step();
            }
            self.choose(g, false);
            self.forbidden.insert(g);
        }
        for &g in &branch {
            self.forbidden.remove(g);
        }
    }
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
                let c = q.difference_len(forbidden);
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
