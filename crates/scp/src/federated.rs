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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mcnode_types::NodeId;

use crate::quorum_set::largest_quorum_within;
use crate::{QuorumSet, Statement};

/// A statement as stored in a slot: with the quorum set it stands for (the sender's set, or
/// the singleton for EXTERNALIZE).
#[derive(Clone, Debug)]
pub(crate) struct Recorded<V> {
    pub st: Statement<V>,
    pub qset: Arc<QuorumSet>,
}

/// Latest statement per node, including the local node's own.
pub(crate) type Latest<V> = BTreeMap<NodeId, Recorded<V>>;

/// Whether the nodes whose statements pass `filter` are v-blocking for `local`.
pub(crate) fn is_v_blocking<V>(
    local: &QuorumSet,
    latest: &Latest<V>,
    filter: impl Fn(&Statement<V>) -> bool,
) -> bool {
    local.is_v_blocking(&|n: &NodeId| latest.get(n).is_some_and(|r| filter(&r.st)))
}

/// Whether the nodes whose statements pass `filter` contain a quorum that includes a slice of
/// `local` (see the module docs).
pub(crate) fn is_quorum<V>(
    local: &QuorumSet,
    latest: &Latest<V>,
    filter: impl Fn(&Statement<V>) -> bool,
) -> bool {
    let candidates: BTreeSet<NodeId> =
        latest.iter().filter(|(_, r)| filter(&r.st)).map(|(n, _)| *n).collect();
    let quorum = largest_quorum_within(&candidates, |n| latest.get(n).map(|r| &*r.qset));
    local.is_slice_satisfied(&|n: &NodeId| quorum.contains(n))
}

/// Paper §5.3: accept `a` when a v-blocking set accepted it, or a quorum voted for or
/// accepted it.
pub(crate) fn federated_accept<V>(
    local: &QuorumSet,
    latest: &Latest<V>,
    voted: impl Fn(&Statement<V>) -> bool,
    accepted: impl Fn(&Statement<V>) -> bool,
) -> bool {
    is_v_blocking(local, latest, &accepted)
        || is_quorum(local, latest, |st| voted(st) || accepted(st))
}

/// Paper §5.4: confirm (ratify) when a quorum satisfies `pred`.
pub(crate) fn federated_ratify<V>(
    local: &QuorumSet,
    latest: &Latest<V>,
    pred: impl Fn(&Statement<V>) -> bool,
) -> bool {
    is_quorum(local, latest, pred)
}
