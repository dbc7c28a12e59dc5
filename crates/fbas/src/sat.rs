//! SAT encoding of "two quorums that share no (correct) node" (after stellar-quorum-analyzer and
//! python-fbas; the encoding here is our own).
//!
//! Variables: `a_v`, `b_v` (node `v` is in quorum A / quorum B) and optionally `s_g` (group `g`
//! is faulty: its nodes count as present in everyone's slices but belong to neither quorum, the
//! SCP paper's *delete* operation). Constraints: `¬a_v ∨ ¬b_v`; A and B are non-empty;
//! `a_v → qset(v) is satisfied by A ∪ S` (and the same for B), where each quorum-set level is a
//! sequential-counter cardinality constraint (Sinz 2005) guarded by a fresh literal. Quorum-set
//! guards are shared between nodes with identical quorum sets.

use std::collections::HashMap;

use batsat::{BasicSolver, Lit, SolverInterface, lbool};

use crate::fbas::QSet;
use crate::groups::Grouping;
use crate::{Fbas, NodeSet};

/// The SAT solver stopped without an answer (it has no budget set, so this means a bug in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the SAT solver returned no answer")]
pub struct SolverGaveUp;

/// A CNF formula in an incremental solver.
pub(crate) struct Cnf {
    solver: BasicSolver,
}

impl Cnf {
    pub(crate) fn new() -> Self {
        Cnf { solver: BasicSolver::default() }
    }

    pub(crate) fn var(&mut self) -> Lit {
        Lit::new(self.solver.new_var_default(), true)
    }

    pub(crate) fn clause(&mut self, lits: &[Lit]) {
        let mut c = lits.to_vec();
        self.solver.add_clause_reuse(&mut c);
    }

    /// `guard → at least k of lits`.
    pub(crate) fn at_least(&mut self, guard: Lit, k: usize, lits: &[Lit]) {
        let m = lits.len();
        if k == 0 {
            return;
        }
        if k > m {
            self.clause(&[!guard]);
            return;
        }
        if k == 1 {
            let mut c = vec![!guard];
            c.extend_from_slice(lits);
            self.clause(&c);
            return;
        }
        if k == m {
            for &l in lits {
                self.clause(&[!guard, l]);
            }
            return;
        }
        // prev[j-1] = "at least j of the first i literals", j = 1..=min(i, k); exact in both
        // directions so that propagation counts as well as checks.
        let mut prev: Vec<Lit> = Vec::new();
        for (i, &l) in lits.iter().enumerate() {
            let width = (i + 1).min(k);
            let mut cur = Vec::with_capacity(width);
            for j in 1..=width {
                let c = self.var();
                let up = prev.get(j - 1).copied(); // at least j of first i
                let down = if j == 1 { None } else { Some(prev[j - 2]) }; // at least j-1
                // c → up ∨ l ; c → up ∨ down
                match up {
                    Some(u) => {
                        self.clause(&[!c, u, l]);
                        if let Some(d) = down {
                            self.clause(&[!c, u, d]);
                        }
                        self.clause(&[!u, c]);
                    }
                    None => {
                        self.clause(&[!c, l]);
                        if let Some(d) = down {
                            self.clause(&[!c, d]);
                        }
                    }
                }
                // l ∧ down → c
                match down {
                    Some(d) => self.clause(&[!l, !d, c]),
                    None => self.clause(&[!l, c]),
                }
                cur.push(c);
            }
            prev = cur;
        }
        self.clause(&[!guard, prev[k - 1]]);
    }

    /// Solves under assumptions: `Ok(true)` satisfiable.
    pub(crate) fn solve(&mut self, assumptions: &[Lit]) -> Result<bool, SolverGaveUp> {
        let r = self.solver.solve_limited(assumptions);
        if r == lbool::TRUE {
            Ok(true)
        } else if r == lbool::FALSE {
            Ok(false)
        } else {
            Err(SolverGaveUp)
        }
    }

    pub(crate) fn value(&self, l: Lit) -> bool {
        self.solver.value_lit(l) == lbool::TRUE
    }
}

/// The encoded search for two quorums disjoint outside a faulty set.
pub(crate) struct SplitEncoding {
    pub(crate) cnf: Cnf,
    a: Vec<Option<Lit>>,
    b: Vec<Option<Lit>>,
    /// Per group: its "faulty" literal, if it may be faulty.
    pub(crate) s: Vec<Option<Lit>>,
    group_of: Vec<usize>,
    scope: NodeSet,
}

impl SplitEncoding {
    /// `members`: nodes that may belong to A or B. `faulty`: when given, the grouping and which
    /// groups may be faulty.
    pub(crate) fn new(
        fbas: &Fbas,
        members: &NodeSet,
        faulty: Option<(&Grouping, &[bool])>,
    ) -> Self {
        let n = fbas.len();
        let mut cnf = Cnf::new();
        let mut a = vec![None; n];
        let mut b = vec![None; n];
        for v in members.iter() {
            if fbas.nodes()[v].qset.is_some() {
                let (x, y) = (cnf.var(), cnf.var());
                cnf.clause(&[!x, !y]);
                a[v] = Some(x);
                b[v] = Some(y);
            }
        }
        let (s, group_of) = match faulty {
            Some((g, allowed)) => {
                let s: Vec<Option<Lit>> = (0..g.len())
                    .map(|gi| allowed.get(gi).copied().unwrap_or(false).then(|| cnf.var()))
                    .collect();
                (s, (0..n).map(|v| g.group_of(v)).collect())
            }
            None => (Vec::new(), vec![usize::MAX; n]),
        };
        let mut enc = SplitEncoding { cnf, a, b, s, group_of, scope: members.clone() };
        for side in [Side::A, Side::B] {
            let mut member_lit: Vec<Option<Option<Lit>>> = vec![None; n];
            let mut cache: HashMap<&QSet, Option<Lit>> = HashMap::new();
            let mut any = Vec::new();
            for v in 0..n {
                let Some(x) = enc.side(side)[v] else { continue };
                let Some(q) = fbas.nodes()[v].qset.as_ref() else { continue };
                if let Some(s) = enc.faulty_lit(v) {
                    enc.cnf.clause(&[!x, !s]);
                }
                let g = enc.encode_qset(q, side, &mut member_lit, &mut cache);
                match g {
                    Some(g) => enc.cnf.clause(&[!x, g]),
                    None => enc.cnf.clause(&[!x]),
                }
                any.push(x);
            }
            enc.cnf.clause(&any);
        }
        enc
    }

    fn side(&self, side: Side) -> &[Option<Lit>] {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    /// Node `v`'s "faulty" literal: its group's, if that may be faulty and `v` is in scope.
    fn faulty_lit(&self, v: usize) -> Option<Lit> {
        if !self.scope.contains(v) {
            return None;
        }
        self.group_of.get(v).and_then(|&g| self.s.get(g).copied().flatten())
    }

    /// "Node w counts for side X": in X, or faulty. `None` is constant false.
    fn member(&mut self, w: usize, side: Side, memo: &mut [Option<Option<Lit>>]) -> Option<Lit> {
        if let Some(m) = memo[w] {
            return m;
        }
        let x = self.side(side)[w];
        let m = match (x, self.faulty_lit(w)) {
            (None, None) => None,
            (Some(x), None) => Some(x),
            (None, Some(s)) => Some(s),
            (Some(x), Some(s)) => {
                let m = self.cnf.var();
                self.cnf.clause(&[!m, x, s]);
                self.cnf.clause(&[!x, m]);
                self.cnf.clause(&[!s, m]);
                Some(m)
            }
        };
        memo[w] = Some(m);
        m
    }

    /// A literal implying "q is satisfied on this side" (`None`: never satisfiable).
    fn encode_qset<'f>(
        &mut self,
        q: &'f QSet,
        side: Side,
        memo: &mut [Option<Option<Lit>>],
        cache: &mut HashMap<&'f QSet, Option<Lit>>,
    ) -> Option<Lit> {
        if let Some(&g) = cache.get(q) {
            return g;
        }
        let mut lits = Vec::new();
        for &w in &q.validators {
            if let Some(l) = self.member(w, side, memo) {
                lits.push(l);
            }
        }
        for inner in &q.inner {
            if let Some(l) = self.encode_qset(inner, side, memo, cache) {
                lits.push(l);
            }
        }
        let g = if q.threshold > lits.len() {
            None
        } else {
            let g = self.cnf.var();
            self.cnf.at_least(g, q.threshold, &lits);
            Some(g)
        };
        cache.insert(q, g);
        g
    }

    /// After a satisfiable solve: the two quorums.
    pub(crate) fn model_sides(&self, n: usize) -> (NodeSet, NodeSet) {
        let pick = |lits: &[Option<Lit>]| {
            NodeSet::from_indices(
                n,
                lits.iter()
                    .enumerate()
                    .filter(|(_, l)| l.is_some_and(|l| self.cnf.value(l)))
                    .map(|(i, _)| i),
            )
        };
        (pick(&self.a), pick(&self.b))
    }

    /// After a satisfiable solve: the faulty groups.
    pub(crate) fn model_faulty(&self) -> Vec<usize> {
        (0..self.s.len()).filter(|&g| self.s[g].is_some_and(|l| self.cnf.value(l))).collect()
    }
}

#[derive(Clone, Copy)]
enum Side {
    A,
    B,
}
