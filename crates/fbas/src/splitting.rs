//! Minimal splitting sets: sets of groups that, if their nodes lie (Byzantine), can make two
//! quorums of the remaining nodes disjoint, so that correct nodes may externalize different
//! values (safety). Formally, following the SCP paper's *delete* operation (§3.2, Def. 6) as
//! fbas_analyzer does: `S` splits iff the network with `S` deleted (its nodes removed, counted as
//! present in every slice) has two non-empty disjoint quorums.
//!
//! Search: one incremental SAT instance ([`crate::sat`]) with a "faulty" variable per group.
//! Each satisfying assignment gives a splitting set; it is shrunk to a minimal one by asking, for
//! each member in turn, whether some splitting set exists inside the rest (this question is
//! monotone, so the result is truly minimal); then a clause forbids every superset of it, and the
//! search repeats until the formula is unsatisfiable. Every minimal splitting set is found
//! exactly once and nothing else is reported.

use batsat::Lit;

use crate::blocking::SetFamily;
use crate::groups::Grouping;
use crate::quorums::Budget;
use crate::sat::{SolverGaveUp, SplitEncoding};
use crate::{Fbas, NodeSet};

/// Whether the nodes of `groups` split the network (checked by SAT).
pub fn is_splitting(
    fbas: &Fbas,
    grouping: &Grouping,
    groups: &[usize],
) -> Result<bool, SolverGaveUp> {
    let mut allowed = vec![false; grouping.len()];
    for &g in groups {
        if let Some(a) = allowed.get_mut(g) {
            *a = true;
        }
    }
    let mut enc = SplitEncoding::new(fbas, &fbas.all(), Some((grouping, &allowed)));
    let force: Vec<Lit> = enc.s.iter().flatten().copied().collect();
    enc.cnf.solve(&force)
}

/// All minimal splitting sets of groups. The budget counts SAT calls.
pub fn minimal_splitting_sets(
    fbas: &Fbas,
    grouping: &Grouping,
    budget: Budget,
) -> Result<SetFamily, SolverGaveUp> {
    minimal_splitting_sets_within(fbas, grouping, &fbas.all(), budget)
}

/// Minimal splitting sets of the network restricted to `scope` (fbas_analyzer's
/// `--only-core-nodes` with `scope` = the top tier): nodes outside it are neither members of the
/// quorums nor possible liars; only groups meeting `scope` are reported.
pub fn minimal_splitting_sets_within(
    fbas: &Fbas,
    grouping: &Grouping,
    scope: &NodeSet,
    mut budget: Budget,
) -> Result<SetFamily, SolverGaveUp> {
    // Only groups named in someone's quorum set can help a quorum form.
    let mut named = NodeSet::empty(fbas.len());
    let mut buf = Vec::new();
    for n in fbas.nodes() {
        if let Some(q) = &n.qset {
            buf.clear();
            q.all_validators(&mut buf);
            for &v in &buf {
                named.insert(v);
            }
        }
    }
    named.intersect_with(scope);
    let allowed: Vec<bool> =
        (0..grouping.len()).map(|g| !grouping.members(g).is_disjoint(&named)).collect();
    let mut enc = SplitEncoding::new(fbas, scope, Some((grouping, &allowed)));
    let s_lits: Vec<(usize, Lit)> =
        enc.s.iter().enumerate().filter_map(|(g, l)| l.map(|l| (g, l))).collect();
    let mut found = Vec::new();
    loop {
        if !budget.spend() {
            return Ok(SetFamily::new(found, false));
        }
        if !enc.cnf.solve(&[])? {
            break;
        }
        let mut set = enc.model_faulty();
        // Shrink: drop each member if a splitting set exists within the rest.
        let mut i = 0;
        while i < set.len() {
            if !budget.spend() {
                return Ok(SetFamily::new(found, false));
            }
            let drop = set[i];
            let assumptions: Vec<Lit> = s_lits
                .iter()
                .filter(|(g, _)| *g == drop || set.binary_search(g).is_err())
                .map(|(_, l)| !*l)
                .collect();
            if enc.cnf.solve(&assumptions)? {
                set = enc.model_faulty();
                // `set` is now inside the old set minus `drop`: restart past the kept prefix.
                i = set.partition_point(|&g| g < drop);
            } else {
                i += 1;
            }
        }
        let block: Vec<Lit> = set.iter().filter_map(|&g| enc.s[g]).map(|l| !l).collect();
        enc.cnf.clause(&block);
        found.push(set);
    }
    Ok(SetFamily::new(found, true))
}
