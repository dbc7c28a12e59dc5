//! `GET /quorum`: the node's quorum set and its health now, computed from which peers are
//! connected (SCP paper §3 Def. 2 and Def. 5, through `mcnode_scp::QuorumSet`):
//! - `slice_satisfied`: this node and its connected peers satisfy one of its slices, so it can
//!   make progress as far as its own slices go;
//! - `disconnected_v_blocking`: the disconnected validators meet every slice (v-blocking), so
//!   no slice can be satisfied until one of them returns;
//! - `intersection`: whether the known network enjoys quorum intersection (from start-up).
//!
//! The node itself always counts as connected in its own slices.

use std::collections::BTreeSet;

use mcnode_scp::QuorumSet;
use mcnode_types::NodeId;
use serde::Serialize;

use super::status::QuorumSnapshot;

/// `GET /quorum`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuorumView {
    /// The quorum set (nested, by node id).
    pub quorum_set: QuorumSet,
    /// Its health now.
    pub health: QuorumHealth,
}

/// The quorum set's health now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuorumHealth {
    /// This node and its connected peers satisfy a slice.
    pub slice_satisfied: bool,
    /// Validators of the quorum set that are connected (this node excluded).
    pub connected: Vec<NodeId>,
    /// Validators of the quorum set that are not connected.
    pub disconnected: Vec<NodeId>,
    /// The disconnected validators form a v-blocking set (no slice can be satisfied).
    pub disconnected_v_blocking: bool,
    /// Whether the known network enjoys quorum intersection (`null`: not computed).
    pub intersection: Option<bool>,
}

impl QuorumView {
    /// The view of `s`.
    pub fn of(s: &QuorumSnapshot) -> QuorumView {
        let connected: BTreeSet<NodeId> = s.connected.iter().copied().collect();
        let up = |n: &NodeId| *n == s.node_id || connected.contains(n);
        let members = s.quorum_set.nodes();
        let (on, off): (Vec<NodeId>, Vec<NodeId>) =
            members.into_iter().filter(|n| *n != s.node_id).partition(|n| connected.contains(n));
        let down: BTreeSet<NodeId> = off.iter().copied().collect();
        QuorumView {
            quorum_set: s.quorum_set.clone(),
            health: QuorumHealth {
                slice_satisfied: s.quorum_set.is_slice_satisfied(&up),
                connected: on,
                disconnected: off,
                disconnected_v_blocking: s.quorum_set.is_v_blocking(&|n| down.contains(n)),
                intersection: s.intersection,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(b: u8) -> NodeId {
        NodeId([b; 32])
    }

    fn snapshot(connected: &[u8]) -> QuorumSnapshot {
        QuorumSnapshot {
            node_id: id(0),
            quorum_set: QuorumSet::new(3, vec![id(0), id(1), id(2), id(3)]),
            connected: connected.iter().map(|b| id(*b)).collect(),
            intersection: Some(true),
        }
    }

    #[test]
    fn the_node_counts_itself_in_its_slices() {
        // 3 of {0,1,2,3}: self + 1 + 2 is a slice.
        let v = QuorumView::of(&snapshot(&[1, 2]));
        assert!(v.health.slice_satisfied);
        assert_eq!(v.health.connected, vec![id(1), id(2)]);
        assert_eq!(v.health.disconnected, vec![id(3)]);
        assert!(!v.health.disconnected_v_blocking);
    }

    #[test]
    fn two_disconnected_of_four_at_threshold_three_block() {
        let v = QuorumView::of(&snapshot(&[1]));
        assert!(!v.health.slice_satisfied);
        assert!(v.health.disconnected_v_blocking);
        assert_eq!(v.health.disconnected, vec![id(2), id(3)]);
    }

    #[test]
    fn peers_outside_the_quorum_set_do_not_count() {
        let v = QuorumView::of(&snapshot(&[1, 9]));
        assert!(!v.health.slice_satisfied);
        assert_eq!(v.health.connected, vec![id(1)]);
    }
}
