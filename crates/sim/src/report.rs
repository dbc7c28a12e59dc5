//! What a run produces: the invariant checker, the event digest, and the [`Report`].
//!
//! Safety invariants are checked every time an honest node appends a slot to its ledger (which
//! is finer than after every event batch): **agreement** (no two honest nodes have different
//! values for a slot), **validity** (every externalized hash was submitted) and **no double
//! externalization** (a hash appears in one slot only). Liveness (every submitted value in the
//! ledger of every honest running node) is judged at the end.

use std::collections::{BTreeMap, HashMap};

use mcnode_scp::TxHashSet;
use mcnode_types::{Hash32, SlotIndex};
use serde::Serialize;

use crate::driver::{HashMap32, Workload};

/// A broken invariant, with what is needed to reproduce and understand it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// `agreement`, `validity`, `double-externalization` or `self-contradiction`.
    pub kind: &'static str,
    /// The seed that reproduces the run.
    pub seed: u64,
    /// The slot.
    pub slot: SlotIndex,
    /// The nodes involved.
    pub nodes: Vec<String>,
    /// Virtual time of the violation.
    pub at_ms: u64,
    /// What happened.
    pub detail: String,
    /// The last messages the nodes involved received.
    pub last_messages: Vec<String>,
}

/// The machine-readable outcome of a run (`mcnode sim --json` prints exactly this).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// No safety invariant failed.
    pub agreement: bool,
    /// Every submitted value reached every honest running node.
    pub liveness: bool,
    /// Values submitted.
    pub values_submitted: u64,
    /// Distinct values externalized by honest nodes.
    pub values_externalized: u64,
    /// Slots decided (longest honest ledger).
    pub slots: u64,
    /// Messages sent over simulated links.
    pub messages: u64,
    /// Virtual time at the end.
    pub virtual_ms: u64,
    /// Wall-clock time of the run.
    pub wall_ms: u64,
    /// The seed.
    pub seed: u64,
    /// Digest of every processed event: equal digests mean identical runs.
    pub digest: String,
    /// Per honest node (by topology key): digest of its externalized sequence.
    pub ledger_digest: BTreeMap<String, String>,
    /// Broken safety invariants (the run stops at the first).
    pub violations: Vec<Violation>,
    /// Human-oriented details (not part of the JSON).
    #[serde(skip)]
    pub details: Details,
}

/// What happened, for the readable summary.
#[derive(Clone, Debug, Default)]
pub struct Details {
    /// Notable moments, in order: faults, restores, catch-ups.
    pub story: Vec<(u64, String)>,
    /// One line per node.
    pub nodes: Vec<NodeSummary>,
    /// Counters.
    pub stats: Stats,
    /// Whether liveness was expected.
    pub expect_liveness: bool,
    /// Events processed.
    pub events: u64,
    /// Per Byzantine node (by label): the lies it told, by kind (see `crate::byzantine`).
    pub lies: BTreeMap<String, BTreeMap<String, u64>>,
    /// What honest engines did with the lies delivered to them: the drop cause
    /// (`mcnode_node::engine::DropCause::label`), `processed` (passed every check and reached
    /// SCP, or waits for its slot or bodies), or for a liar's block answers
    /// `block-answer-delivered`, `block-refused` (failed the id check) and `block-appended`.
    pub lie_outcomes: BTreeMap<String, u64>,
    /// Every honest engine's dropped messages, by cause label (liars' engines not counted).
    pub drops_by_cause: BTreeMap<&'static str, u64>,
}

impl Details {
    /// Lies of kinds starting with `prefix`, over every liar.
    pub fn lies_of(&self, prefix: &str) -> u64 {
        self.lies.values().flatten().filter(|(k, _)| k.starts_with(prefix)).map(|(_, n)| n).sum()
    }

    /// How many delivered lies ended as `outcome`.
    pub fn outcome(&self, outcome: &str) -> u64 {
        self.lie_outcomes.get(outcome).copied().unwrap_or(0)
    }
}

/// The state of one node at the end.
#[derive(Clone, Debug)]
pub struct NodeSummary {
    /// Display label.
    pub label: String,
    /// Topology key.
    pub key: String,
    /// `None` for honest nodes.
    pub byzantine: Option<&'static str>,
    /// Running at the end.
    pub up: bool,
    /// Ledger length.
    pub slots: u64,
    /// Values in its ledger.
    pub values: u64,
    /// Slots it took by ledger sync (catch-up: fetched signed blocks) rather than consensus.
    pub synced_slots: u64,
}

/// Message counters (drops: honest engines only).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Lost to random drops.
    pub dropped: u64,
    /// Blocked by a partition.
    pub partitioned: u64,
    /// Delivered twice or more (dropped by the engines' dedup).
    pub duplicates: u64,
    /// Dropped by the engines for any other cause: stale, wrong parent, too far ahead, buffer
    /// full, refused by the SCP core (see `mcnode_node::engine::DropCause`).
    pub rejected: u64,
    /// Undecodable bytes or another chain's messages.
    pub malformed: u64,
    /// Unsigned, or the signature does not verify for the claimed signer.
    pub forged: u64,
    /// Arrived at a crashed node.
    pub to_crashed: u64,
}

/// Checks safety as honest ledgers grow.
#[derive(Debug, Default)]
pub struct Checker {
    decided: HashMap<SlotIndex, (TxHashSet, usize)>,
    first_slot: HashMap32<SlotIndex>,
}

/// A safety failure found by [`Checker::check`], before context is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Kind (see [`Violation::kind`]).
    pub kind: &'static str,
    /// Other node involved, if any.
    pub other: Option<usize>,
    /// What happened.
    pub detail: String,
}

impl Checker {
    /// Checks that honest node `node` may append `value` at `slot`, and records it.
    pub fn check(
        &mut self,
        workload: &Workload,
        node: usize,
        slot: SlotIndex,
        value: &TxHashSet,
    ) -> Result<(), Failure> {
        match self.decided.get(&slot) {
            Some((v, other)) if v != value => {
                return Err(Failure {
                    kind: "agreement",
                    other: Some(*other),
                    detail: format!(
                        "slot {slot}: {} values (digest {}) here, {} values (digest {}) at the other node",
                        value.len(),
                        value_digest(value).short(),
                        v.len(),
                        value_digest(v).short()
                    ),
                });
            }
            Some(_) => return Ok(()),
            None => {}
        }
        for &h in value.as_slice() {
            if !workload.is_submitted(&h) {
                return Err(Failure {
                    kind: "validity",
                    other: None,
                    detail: format!("slot {slot} holds {}, which nobody submitted", h.short()),
                });
            }
            if let Some(s) = self.first_slot.get(&h)
                && *s != slot
            {
                return Err(Failure {
                    kind: "double-externalization",
                    other: None,
                    detail: format!(
                        "{} externalized in slot {s} and again in slot {slot}",
                        h.short()
                    ),
                });
            }
        }
        for &h in value.as_slice() {
            self.first_slot.insert(h, slot);
        }
        self.decided.insert(slot, (value.clone(), node));
        Ok(())
    }

    /// Distinct values externalized so far.
    pub fn values_externalized(&self) -> u64 {
        self.first_slot.len() as u64
    }

    /// Slots decided so far.
    pub fn slots(&self) -> u64 {
        self.decided.len() as u64
    }
}

/// Domain tag of value digests in messages.
pub const VALUE_DIGEST_DOMAIN: &[u8] = b"mcnode-sim-value-digest";

/// A short digest of a value, for messages.
pub fn value_digest(v: &TxHashSet) -> Hash32 {
    Hash32::of(VALUE_DIGEST_DOMAIN, v)
}

/// A running, order-sensitive digest of events (two 64-bit lanes, finished with SHA-256).
#[derive(Clone, Debug)]
pub struct EventDigest {
    a: u64,
    b: u64,
    count: u64,
}

impl Default for EventDigest {
    fn default() -> Self {
        EventDigest { a: 0x6A09_E667_F3BC_C908, b: 0xBB67_AE85_84CA_A73B, count: 0 }
    }
}

impl EventDigest {
    /// Folds in one word.
    pub fn mix(&mut self, x: u64) {
        self.a = (self.a ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        self.b =
            (self.b.wrapping_add(self.a) ^ x.rotate_left(17)).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        self.count += 1;
    }

    /// The two lanes folded into one word (for fast non-cryptographic ids).
    pub fn lanes(&self) -> u64 {
        self.a ^ self.b.rotate_left(32)
    }

    /// The digest as hex.
    pub fn finish(&self) -> String {
        let mut data = self.a.to_be_bytes().to_vec();
        data.extend_from_slice(&self.b.to_be_bytes());
        data.extend_from_slice(&self.count.to_be_bytes());
        Hash32::digest(b"mcnode-sim-events", &data).to_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checker_catches_each_safety_violation() {
        let w = Workload::new(0, 4);
        w.submitted.set(3);
        let v = |i: &[usize]| TxHashSet::from_hashes(i.iter().map(|i| w.values[*i]));
        let mut c = Checker::default();
        c.check(&w, 0, 1, &v(&[0])).unwrap();
        c.check(&w, 1, 1, &v(&[0])).unwrap();
        assert_eq!(c.check(&w, 2, 1, &v(&[1])).unwrap_err().kind, "agreement");
        assert_eq!(c.check(&w, 2, 2, &v(&[3])).unwrap_err().kind, "validity");
        assert_eq!(c.check(&w, 2, 2, &v(&[0, 2])).unwrap_err().kind, "double-externalization");
        c.check(&w, 2, 2, &v(&[1, 2])).unwrap();
        assert_eq!(c.values_externalized(), 3);
        assert_eq!(c.slots(), 2);
    }

    #[test]
    fn digest_is_order_sensitive() {
        let mut a = EventDigest::default();
        let mut b = EventDigest::default();
        a.mix(1);
        a.mix(2);
        b.mix(2);
        b.mix(1);
        assert_ne!(a.finish(), b.finish());
        let mut c = EventDigest::default();
        c.mix(1);
        c.mix(2);
        assert_eq!(a.finish(), c.finish());
    }
}
