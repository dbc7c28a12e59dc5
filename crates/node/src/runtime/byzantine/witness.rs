//! The conflict witness of `byzantine` builds: counts, on every node, pairs of validly signed
//! statements by one signer for one slot that no honest node could both have sent, so a test
//! can show that an equivocation REACHED honest nodes (a liar sends each version to different
//! peers; relays bring the other version).
//!
//! Two statements conflict when both are NOMINATEs and neither is newer than the other (an
//! honest node's nominations only grow: SCP §6.1, draft-mazieres-dinrg-scp §5.2), or both are
//! EXTERNALIZEs of different values (an honest node externalizes one value per slot). Ballot
//! statements of different values are ordered by SCP and are not counted.

use std::collections::HashMap;
use std::sync::Mutex;

use mcnode_scp::{Pledge, TxHashSet};
use mcnode_types::{Decode, NodeId, SlotIndex};
use prometheus_client::metrics::counter::Counter;

use crate::engine::ScpEnvelope;

/// Most (signer, slot) entries remembered; all are forgotten past it.
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
struct Seen {
    nominate: Option<Pledge<TxHashSet>>,
    externalize: Option<TxHashSet>,
}

/// Remembers each signer's latest NOMINATE and its EXTERNALIZE per slot.
#[derive(Default)]
pub struct Witness {
    seen: Mutex<HashMap<(NodeId, SlotIndex), Seen>>,
    /// `byzantine_conflicts_seen_total`.
    pub conflicts: Counter,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness").field("conflicts", &self.conflicts.get()).finish()
    }
}

impl Witness {
    /// Looks at a received consensus message; returns whether it conflicts with one seen
    /// before (and counts it). Undecodable or mis-signed bytes are ignored.
    pub fn observe(&self, bytes: &[u8]) -> bool {
        let Ok(env) = ScpEnvelope::from_canonical_bytes(bytes) else { return false };
        if env.verify().is_err() {
            return false;
        }
        let st = env.statement;
        let Ok(mut seen) = self.seen.lock() else { return false };
        if seen.len() >= MAX_ENTRIES && !seen.contains_key(&(st.node_id, st.slot)) {
            seen.clear();
        }
        let e = seen.entry((st.node_id, st.slot)).or_default();
        let conflict = match &st.pledge {
            Pledge::Nominate(_) => match e.nominate.clone() {
                Some(old) if old == st.pledge => false,
                Some(old) if !st.pledge.is_newer_than(&old) => !old.is_newer_than(&st.pledge),
                _ => {
                    e.nominate = Some(st.pledge.clone());
                    false
                }
            },
            Pledge::Externalize(x) => match e.externalize.clone() {
                Some(v) => v != x.commit.value,
                None => {
                    e.externalize = Some(x.commit.value.clone());
                    false
                }
            },
            _ => false,
        };
        if conflict {
            self.conflicts.inc();
        }
        conflict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_crypto::SigningIdentity;
    use mcnode_ledger::block::BlockId;
    use mcnode_scp::{Nominate, Statement};
    use mcnode_types::Hash32;

    use super::super::lies::equivocation;

    fn val(b: u8) -> TxHashSet {
        TxHashSet::from_hashes([Hash32([b; 32])])
    }

    fn nominate(key: &SigningIdentity, votes: Vec<TxHashSet>, accepted: Vec<TxHashSet>) -> Vec<u8> {
        let st = Statement {
            node_id: NodeId(key.verifying().to_bytes()),
            slot: 5,
            quorum_set_hash: Hash32::ZERO,
            pledge: Pledge::Nominate(Nominate { votes, accepted }),
        };
        let env = ScpEnvelope::sign(key, "c", BlockId(Hash32::ZERO), st);
        mcnode_types::Encode::to_canonical_bytes(&env)
    }

    #[test]
    fn growing_nominations_are_honest_and_an_equivocation_is_a_conflict() {
        let key = SigningIdentity::from_seed(&[3; 32]);
        let w = Witness::default();
        // An honest sequence, delivered out of order and twice: no conflict.
        let a = nominate(&key, vec![val(1)], vec![]);
        let b = nominate(&key, vec![val(1), val(2)], vec![val(1)]);
        for m in [&b, &a, &b, &a] {
            assert!(!w.observe(m));
        }
        // The liar's twin of `a` (another value, same slot, validly signed) conflicts.
        let env = <ScpEnvelope as Decode>::from_canonical_bytes(&a).unwrap();
        let twin = mcnode_types::Encode::to_canonical_bytes(&equivocation(&key, &env));
        assert!(w.observe(&twin));
        assert_eq!(w.conflicts.get(), 1);
        // A forged twin (signed by another key for this signer) is not evidence.
        let other = SigningIdentity::from_seed(&[4; 32]);
        let forged = equivocation(&other, &env);
        assert!(!w.observe(&mcnode_types::Encode::to_canonical_bytes(&forged)));
        assert_eq!(w.conflicts.get(), 1);
    }
}
