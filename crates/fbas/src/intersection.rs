//! Quorum intersection: does every pair of quorums share a node? (SCP paper §3.2: without
//! intersection no protocol can guarantee safety.)
//!
//! The main check is a SAT search for two disjoint quorums ([`crate::sat`]); an enumeration
//! check (minimal quorums, each tested against the greatest quorum of its complement, as
//! stellar-core's checker does) is kept for comparison and is what the benchmarks measure it
//! against.

use crate::quorums::{self, Budget};
use crate::sat::{SolverGaveUp, SplitEncoding};
use crate::{Fbas, NodeSet};

/// The answer of an intersection check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intersection {
    /// Every two quorums share a node (vacuously true when there is no quorum at all).
    pub intersects: bool,
    /// Some quorum exists (if not, no node can ever make progress).
    pub has_quorum: bool,
    /// When quorums do not intersect: two disjoint minimal quorums, as proof.
    pub split: Option<(NodeSet, NodeSet)>,
    /// Nodes in no quorum at all (defined nodes only; unknown nodes are listed separately).
    pub in_no_quorum: NodeSet,
}

fn base(fbas: &Fbas) -> (NodeSet, NodeSet) {
    let greatest = fbas.max_quorum(&fbas.all());
    let mut none = fbas.all();
    none.difference_with(&greatest);
    for u in fbas.unknown_nodes() {
        none.remove(u);
    }
    (greatest, none)
}

fn verdict(
    fbas: &Fbas,
    greatest: &NodeSet,
    none: NodeSet,
    split: Option<(NodeSet, NodeSet)>,
) -> Intersection {
    let split = split.map(|(a, b)| {
        // Shrink each side to a minimal quorum for a readable proof.
        let a = quorums::shrink_to_minimal(fbas, &a, None);
        let b = quorums::shrink_to_minimal(fbas, &b, None);
        (a, b)
    });
    Intersection {
        intersects: split.is_none(),
        has_quorum: !greatest.is_empty(),
        split,
        in_no_quorum: none,
    }
}

/// Checks quorum intersection with the SAT encoding.
pub fn check_intersection(fbas: &Fbas) -> Result<Intersection, SolverGaveUp> {
    let (greatest, none) = base(fbas);
    if greatest.is_empty() {
        return Ok(verdict(fbas, &greatest, none, None));
    }
    // Two components that each hold a quorum give disjoint quorums at once.
    let with_quorum: Vec<NodeSet> = quorums::strongly_connected_components(fbas, &greatest)
        .into_iter()
        .map(|c| fbas.max_quorum(&c))
        .filter(|q| !q.is_empty())
        .take(2)
        .collect();
    if let [a, b] = with_quorum.as_slice() {
        return Ok(verdict(fbas, &greatest, none, Some((a.clone(), b.clone()))));
    }
    let mut enc = SplitEncoding::new(fbas, &greatest, None);
    let split = if enc.cnf.solve(&[])? { Some(enc.model_sides(fbas.len())) } else { None };
    Ok(verdict(fbas, &greatest, none, split))
}

/// Checks quorum intersection by enumerating minimal quorums (every quorum contains one, so
/// quorums intersect iff no minimal quorum's complement holds a quorum). `None` if the budget
/// ran out.
pub fn check_intersection_enumerating(fbas: &Fbas, budget: &mut Budget) -> Option<Intersection> {
    let (greatest, none) = base(fbas);
    let mut split = None;
    let complete = quorums::for_each_minimal_quorum(fbas, budget, &mut |m| {
        let mut rest = greatest.clone();
        rest.difference_with(m);
        let other = fbas.max_quorum(&rest);
        if other.is_empty() {
            true
        } else {
            split = Some((m.clone(), other));
            false
        }
    });
    if !complete && split.is_none() {
        return None;
    }
    Some(verdict(fbas, &greatest, none, split))
}
