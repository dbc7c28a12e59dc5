//! Federated voting over the latest statement of every node (SCP paper §5, draft §2.3).
//!
//! - A node set is a *quorum* when every member has a slice inside it (Def. 3). Given the
//!   latest statements `M`, [`is_quorum`] keeps the nodes whose statement passes a filter and
//!   repeatedly drops those whose own quorum set is not satisfied by the survivors (the
//!   fixpoint of stellar-core `LocalNode::isQuorum`); what remains is the largest quorum among
//!   them, and the local node's slice must be satisfied by it.
//! - *Accept* (paper §5.3, Def. 8 / Thm 6): a v-blocking set accepted, or a quorum voted or
//!   accepted — [`federated_accept`].
//! - *Confirm* / ratify (Def. 9): a quorum accepted — [`federated_ratify`] is called with
//!   the predicate "accepted" (or "voted", for a statement one only votes on).

use std::collections::BTreeMap;
use std::sync::Arc;

use mcnode_types::NodeId;

use crate::Statement;
use crate::compiled::{BitSet, Compiled, largest_quorum};

/// A statement as stored in a slot: with its sender's index and the (compiled) quorum set it
/// stands for (the sender's set, or the singleton for EXTERNALIZE).
#[derive(Clone, Debug)]
pub(crate) struct Recorded<V> {
    pub st: Statement<V>,
    pub idx: u32,
    pub qset: Arc<Compiled>,
}

/// Latest statement per node, including the local node's own.
pub(crate) type Latest<V> = BTreeMap<NodeId, Recorded<V>>;

fn senders<V>(latest: &Latest<V>, filter: impl Fn(&Statement<V>) -> bool) -> BitSet {
    let mut bits = BitSet::default();
    for r in latest.values() {
        if filter(&r.st) {
            bits.insert(r.idx);
        }
    }
    bits
}

/// Whether the nodes whose statements pass `filter` are v-blocking for `local`.
pub(crate) fn is_v_blocking<V>(
    local: &Compiled,
    latest: &Latest<V>,
    filter: impl Fn(&Statement<V>) -> bool,
) -> bool {
    local.v_blocking(&senders(latest, filter))
}

/// Whether the nodes whose statements pass `filter` contain a quorum that includes a slice of
/// `local` (see the module docs).
pub(crate) fn is_quorum<V>(
    local: &Compiled,
    latest: &Latest<V>,
    filter: impl Fn(&Statement<V>) -> bool,
) -> bool {
    let members: Vec<(u32, Option<&Compiled>)> =
        latest.values().filter(|r| filter(&r.st)).map(|r| (r.idx, Some(&*r.qset))).collect();
    let mut all = BitSet::default();
    for (i, _) in &members {
        all.insert(*i);
    }
    // The fixpoint only removes nodes: if the candidates do not even hold a local slice,
    // no quorum inside them does (the common case, checked cheaply first).
    if !local.slice_satisfied(&all) {
        return false;
    }
    local.slice_satisfied(&largest_quorum(members))
}

/// Paper §5.3: accept `a` when a v-blocking set accepted it, or a quorum voted for or
/// accepted it.
pub(crate) fn federated_accept<V>(
    local: &Compiled,
    latest: &Latest<V>,
    voted: impl Fn(&Statement<V>) -> bool,
    accepted: impl Fn(&Statement<V>) -> bool,
) -> bool {
    is_v_blocking(local, latest, &accepted)
        || is_quorum(local, latest, |st| voted(st) || accepted(st))
}

/// Paper §5.4: confirm (ratify) when a quorum satisfies `pred`.
pub(crate) fn federated_ratify<V>(
    local: &Compiled,
    latest: &Latest<V>,
    pred: impl Fn(&Statement<V>) -> bool,
) -> bool {
    is_quorum(local, latest, pred)
}
