//! What the theory says about a run with liars, computed with `mcnode-fbas`: which honest
//! nodes are *protected*, i.e. which can never disagree whatever the liars do.
//!
//! Rule (SCP paper §3.2, the *delete* operation and quorum intersection despite ill-behaved
//! nodes): delete the liars `B` from every slice (a liar may vote for anything, so it counts
//! as present in every slice it appears in). Two honest nodes can be led to disagree only if
//! they lie in two disjoint quorums of that network. [`protected_nodes`] finds every such pair
//! by enumerating the subsets of the honest nodes (small networks only: up to [`MAX_HONEST`]
//! honest nodes), then drops the node with the most possible disagreements until none is left:
//! the nodes that remain cannot be led to disagree with each other (a single node trivially).

use mcnode_fbas::{Fbas, NodeSet};

use crate::topology::Topology;

/// Most honest nodes [`protected_nodes`] enumerates subsets of.
pub const MAX_HONEST: usize = 16;

/// The honest nodes (topology indices, ascending) that no choice of the `liars`' messages can
/// lead to disagree with each other (the largest such set the greedy rule above finds); `None` when the network is too large to enumerate or
/// cannot be analysed.
pub fn protected_nodes(topology: &Topology, liars: &[usize]) -> Option<Vec<usize>> {
    let fbas =
        Fbas::from_quorum_sets(topology.nodes.iter().map(|n| (n.id, Some(n.qset.clone())))).ok()?;
    // Topology index -> fbas index.
    let idx: Vec<usize> = topology
        .nodes
        .iter()
        .map(|n| fbas.index_of(&n.id.to_strkey()))
        .collect::<Option<Vec<usize>>>()?;
    let cap = fbas.len();
    let faulty = NodeSet::from_indices(cap, liars.iter().map(|l| idx[*l]));
    let honest: Vec<usize> = (0..topology.nodes.len()).filter(|i| !liars.contains(i)).collect();
    if honest.len() > MAX_HONEST {
        return None;
    }
    // conflict[a][b]: honest nodes a and b lie in two disjoint quorums of the network with
    // the liars deleted, so the liars can lead them to disagree.
    let h = honest.len();
    let mut conflict = vec![vec![false; h]; h];
    for mask in 1u32..(1u32 << h) {
        let (mut s, mut rest) = (NodeSet::empty(cap), NodeSet::empty(cap));
        for (k, x) in honest.iter().enumerate() {
            if mask & (1 << k) != 0 {
                s.insert(idx[*x]);
            } else {
                rest.insert(idx[*x]);
            }
        }
        let q1 = fbas.max_quorum_with_faulty(&s, &faulty);
        if q1.is_empty() {
            continue;
        }
        let q2 = fbas.max_quorum_with_faulty(&rest, &faulty);
        for a in (0..h).filter(|a| q1.contains(idx[honest[*a]])) {
            for b in (0..h).filter(|b| q2.contains(idx[honest[*b]])) {
                conflict[a][b] = true;
                conflict[b][a] = true;
            }
        }
    }
    // Drop the node with the most possible disagreements (the highest index on ties) until
    // none is left among the rest.
    let mut keep: Vec<usize> = (0..h).collect();
    loop {
        let count = |a: usize| keep.iter().filter(|b| conflict[a][**b]).count();
        let worst = keep.iter().copied().max_by_key(|a| (count(*a), *a));
        match worst {
            Some(w) if count(w) > 0 => keep.retain(|a| *a != w),
            _ => break,
        }
    }
    Some(keep.into_iter().map(|k| honest[k]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_the_limit_every_honest_node_is_protected_and_past_it_none_of_a_mesh() {
        let topo = Topology::generate("mesh:4:2").unwrap().unwrap();
        assert_eq!(protected_nodes(&topo, &[3]), Some(vec![0, 1, 2]));
        assert_eq!(protected_nodes(&topo, &[2, 3]), Some(vec![0]), "one node only");
        let topo = Topology::generate("mesh:7:4").unwrap().unwrap();
        assert_eq!(protected_nodes(&topo, &[5, 6]), Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(protected_nodes(&topo, &[4, 5, 6]), Some(vec![0]));
    }
}
