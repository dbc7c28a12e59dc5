//! Minimal quorums and the top tier.
//!
//! Enumeration is branch and bound in the style of Lachowski (arXiv:1902.06493, §4): a set of
//! committed nodes `C` and of remaining candidates `R`; each step contracts `C ∪ R` to its
//! greatest quorum (pruning when that drops a committed node), stops at the first quorum on a
//! branch (any superset is not minimal), and otherwise branches on one remaining node that an
//! unsatisfied committed node names. Search runs per strongly connected component of the
//! dependency graph: a minimal quorum's members all depend on each other (its closed sink
//! component would otherwise be a smaller quorum), so it lies inside one component.

use crate::{Fbas, NodeSet, QSet};

/// A bound on search effort: each search step spends one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget(pub u64);

impl Budget {
    /// Enough for every network in the test data many times over.
    pub const DEFAULT: Budget = Budget(50_000_000);

    /// A new budget of [`Budget::DEFAULT`] units.
    pub fn new_default() -> Self {
        Self::DEFAULT
    }

    pub(crate) fn spend(&mut self) -> bool {
        if self.0 == 0 {
            return false;
        }
        self.0 -= 1;
        true
    }
}

/// Shrinks a quorum to a minimal quorum inside it, trying to drop the nodes of `drop_first`
/// before the others.
pub fn shrink_to_minimal(fbas: &Fbas, quorum: &NodeSet, drop_first: Option<&NodeSet>) -> NodeSet {
    let mut q = fbas.max_quorum(quorum);
    let mut order: Vec<usize> = q.to_vec();
    if let Some(first) = drop_first {
        order.sort_by_key(|&v| !first.contains(v));
    }
    for v in order {
        if !q.contains(v) {
            continue;
        }
        let mut smaller = q.clone();
        smaller.remove(v);
        let inner = fbas.max_quorum(&smaller);
        if !inner.is_empty() {
            q = inner;
        }
    }
    q
}

/// Whether a quorum is minimal (no proper subset is a quorum).
pub fn is_minimal_quorum(fbas: &Fbas, quorum: &NodeSet) -> bool {
    fbas.is_quorum(quorum)
        && quorum.iter().all(|v| {
            let mut s = quorum.clone();
            s.remove(v);
            fbas.max_quorum(&s).is_empty()
        })
}

/// Strongly connected components of the "names in its quorum set" graph restricted to `within`
/// (iterative Tarjan). Components come in reverse topological order.
pub fn strongly_connected_components(fbas: &Fbas, within: &NodeSet) -> Vec<NodeSet> {
    let n = fbas.len();
    let succ: Vec<Vec<usize>> = (0..n)
        .map(|v| {
            let mut out = Vec::new();
            if let (true, Some(q)) = (within.contains(v), &fbas.nodes()[v].qset) {
                q.all_validators(&mut out);
                out.retain(|&w| within.contains(w));
            }
            out
        })
        .collect();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comps = Vec::new();
    let mut next = 0;
    for root in within.iter() {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut k)) = call.last_mut() {
            if let Some(&w) = succ[v].get(*k) {
                *k += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = NodeSet::empty(n);
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.insert(w);
                        if w == v {
                            break;
                        }
                    }
                    comps.push(comp);
                }
            }
        }
    }
    comps
}

/// Calls `found` for every minimal quorum (each once). Returns `false` if the budget ran out
/// first (the enumeration is then incomplete) or `found` asked to stop by returning `false`.
pub fn for_each_minimal_quorum(
    fbas: &Fbas,
    budget: &mut Budget,
    found: &mut dyn FnMut(&NodeSet) -> bool,
) -> bool {
    let all = fbas.max_quorum(&fbas.all());
    for comp in strongly_connected_components(fbas, &all) {
        let r = fbas.max_quorum(&comp);
        if r.is_empty() {
            continue;
        }
        if !enumerate(fbas, fbas.empty_set(), r, budget, found) {
            return false;
        }
    }
    true
}

fn enumerate(
    fbas: &Fbas,
    committed: NodeSet,
    remaining: NodeSet,
    budget: &mut Budget,
    found: &mut dyn FnMut(&NodeSet) -> bool,
) -> bool {
    if !budget.spend() {
        return false;
    }
    let mut pool = committed.clone();
    pool.union_with(&remaining);
    let q = fbas.max_quorum(&pool);
    if !committed.is_subset(&q) || q.is_empty() {
        return true;
    }
    if !committed.is_empty() && fbas.is_quorum(&committed) {
        return !is_minimal_quorum(fbas, &committed) || found(&committed);
    }
    let mut rest = q;
    rest.difference_with(&committed);
    // Branch on a node that an unsatisfied committed node needs, taken from a part of its
    // quorum set that is not yet satisfied; at the root, on any node.
    let pick = committed
        .iter()
        .find_map(|u| fbas.nodes()[u].qset.as_ref().and_then(|q| needed(q, &committed, &rest)))
        .or_else(|| rest.iter().next());
    let Some(v) = pick else { return true };
    let mut with = committed.clone();
    with.insert(v);
    rest.remove(v);
    enumerate(fbas, with, rest.clone(), budget, found)
        && enumerate(fbas, committed, rest, budget, found)
}

/// A candidate in `rest` from an unsatisfied part of `q` (`None` if `q` is satisfied by `set`
/// or cannot be helped).
fn needed(q: &QSet, set: &NodeSet, rest: &NodeSet) -> Option<usize> {
    if q.is_satisfied(set) {
        return None;
    }
    q.validators
        .iter()
        .copied()
        .find(|&v| rest.contains(v))
        .or_else(|| q.inner.iter().find_map(|i| needed(i, set, rest)))
}

/// Summary of all minimal quorums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinimalQuorums {
    /// How many.
    pub count: u64,
    /// Smallest and largest size (`None` when there is no quorum).
    pub size_range: Option<(usize, usize)>,
    /// The top tier: the union of all minimal quorums (fbas_analyzer's definition).
    pub top_tier: NodeSet,
    /// Whether the enumeration finished within its budget (if not, the figures are lower
    /// bounds).
    pub complete: bool,
}

/// Counts the minimal quorums, their sizes, and their union (the top tier).
pub fn minimal_quorums(fbas: &Fbas, budget: &mut Budget) -> MinimalQuorums {
    let mut count = 0u64;
    let mut range: Option<(usize, usize)> = None;
    let mut top = fbas.empty_set();
    let complete = for_each_minimal_quorum(fbas, budget, &mut |q| {
        count += 1;
        let l = q.len();
        range = Some(range.map_or((l, l), |(a, b)| (a.min(l), b.max(l))));
        top.union_with(q);
        true
    });
    MinimalQuorums { count, size_range: range, top_tier: top, complete }
}
