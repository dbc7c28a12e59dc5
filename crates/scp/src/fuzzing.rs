//! Fuzz entry points, shared by `fuzz/` (libFuzzer) and this crate's own tests.
//!
//! - [`fuzz_statement_decode`]: arbitrary bytes as a statement: decoding never panics, and what
//!   decodes re-encodes to the same bytes.
//! - [`fuzz_node_inputs`]: arbitrary bytes as a sequence of inputs (statements from four peers
//!   with small values and counters, nominations, ballot bumps, timeouts, restarts that restore
//!   the node from its own last statements) to a node in a 3-of-4 network. Checks: no panic;
//!   a rejected statement changes nothing; each slot externalizes at most once (across
//!   restarts too) and only the value of the node's own EXTERNALIZE; the node's own statements
//!   of each protocol only ever get newer, across restarts too.

use std::collections::{BTreeMap, BTreeSet};

use mcnode_types::{Decode, Encode, Hash32, NodeId, Reader, SlotIndex};

use crate::statement::{Ballot, Confirm, Externalize, Nominate, Pledge, Prepare, Statement};
use crate::{Driver, Node, Output, Phase, QuorumSet, ScpConfig, Time, TxHashSet, Validity};

/// Decodes `data` as a statement; whatever decodes must re-encode to the same bytes.
pub fn fuzz_statement_decode(data: &[u8]) {
    if let Ok(st) = Statement::<TxHashSet>::from_canonical_bytes(data) {
        assert_eq!(st.to_canonical_bytes(), data, "statement encoding is not canonical");
        let _ = st.check_sanity();
    }
    if let Ok(q) = QuorumSet::from_canonical_bytes(data) {
        assert_eq!(q.to_canonical_bytes(), data, "quorum set encoding is not canonical");
        let _ = q.validate();
    }
}

/// Values 1..=8 are valid, 9 is "maybe valid later", everything else is invalid; combine takes
/// the largest candidate.
#[derive(Clone, Copy, Debug, Default)]
pub struct SmallDriver;

impl Driver<u64> for SmallDriver {
    fn validate(&mut self, _slot: SlotIndex, value: &u64) -> Validity {
        match value {
            1..=8 => Validity::Valid,
            9 => Validity::MaybeValidLater,
            _ => Validity::Invalid,
        }
    }

    fn combine(&mut self, _slot: SlotIndex, candidates: &[u64]) -> Option<u64> {
        candidates.iter().max().copied()
    }
}

fn ids() -> [NodeId; 4] {
    [NodeId([1; 32]), NodeId([2; 32]), NodeId([3; 32]), NodeId([4; 32])]
}

fn small_ballot(r: &mut Reader<'_>) -> Option<Ballot<u64>> {
    let b = u8::decode(r).ok()?;
    Some(Ballot::new(u32::from(b >> 4), u64::from(b & 0x0f)))
}

fn small_values(r: &mut Reader<'_>) -> Option<Vec<u64>> {
    let mask = u16::decode(r).ok()?;
    Some((0..10u64).filter(|i| mask & (1 << i) != 0).collect())
}

/// Builds one input from the reader; `None` when the bytes run out.
fn next_statement(r: &mut Reader<'_>, qhash: Hash32) -> Option<Statement<u64>> {
    let head = u8::decode(r).ok()?;
    let node = ids()[usize::from(head & 3)];
    let slot = u64::from((head >> 2) & 1) + 1;
    let pledge = match (head >> 3) & 3 {
        0 => Pledge::Nominate(Nominate { votes: small_values(r)?, accepted: small_values(r)? }),
        1 => {
            let ballot = small_ballot(r)?;
            let flags = u8::decode(r).ok()?;
            let prepared = if flags & 1 != 0 { small_ballot(r) } else { None };
            let prepared_prime = if flags & 2 != 0 { small_ballot(r) } else { None };
            let counters = u8::decode(r).ok()?;
            Pledge::Prepare(Prepare {
                ballot,
                prepared,
                prepared_prime,
                n_c: u32::from(counters >> 4),
                n_h: u32::from(counters & 0x0f),
            })
        }
        2 => {
            let ballot = small_ballot(r)?;
            let a = u8::decode(r).ok()?;
            let b = u8::decode(r).ok()?;
            Pledge::Confirm(Confirm {
                ballot,
                n_prepared: u32::from(a >> 4),
                n_commit: u32::from(a & 0x0f),
                n_h: u32::from(b & 0x0f),
            })
        }
        _ => Pledge::Externalize(Externalize {
            commit: small_ballot(r)?,
            n_h: u32::from(u8::decode(r).ok()? & 0x0f),
        }),
    };
    let quorum_set_hash = if head & 0x80 != 0 { Hash32([9; 32]) } else { qhash };
    Some(Statement { node_id: node, slot, quorum_set_hash, pledge })
}

/// A snapshot of everything observable about the node, to check rejected inputs change nothing.
fn snapshot(node: &Node<u64, SmallDriver>) -> Vec<u8> {
    let mut out = Vec::new();
    for s in node.slots() {
        if let Some(info) = node.slot_info(s) {
            out.extend(format!("{info:?}").into_bytes());
        }
        for st in node.latest_statements(s) {
            st.encode(&mut out);
        }
    }
    out.extend(format!("{:?}", node.next_timeout()).into_bytes());
    out
}

/// What one fuzz input reached, so tests can check the fuzzer gets deep into the protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FuzzSummary {
    /// Statements the node accepted.
    pub accepted: usize,
    /// Statements it rejected.
    pub rejected: usize,
    /// Slots it externalized.
    pub externalized: usize,
    /// Highest ballot phase any slot reached.
    pub max_phase: Option<Phase>,
}

/// Feeds arbitrary input sequences to a node; see the module docs for what is checked.
pub fn fuzz_node_inputs(data: &[u8]) -> FuzzSummary {
    let mut summary = FuzzSummary::default();
    let ids = ids();
    let qset = QuorumSet::new(3, ids.to_vec());
    let qhash = qset.hash();
    let config =
        ScpConfig { is_validator: data.first().is_none_or(|b| b & 1 == 0), ..Default::default() };
    let Ok(mut node) = Node::new(ids[0], qset, config, SmallDriver) else { return summary };
    let mut r = Reader::new(data.get(1..).unwrap_or_default());
    let mut now = 0u64;
    let mut externalized: BTreeMap<SlotIndex, u64> = BTreeMap::new();
    // Slots restored from an EXTERNALIZE: the core reports their decision once more.
    let mut rereport: BTreeSet<SlotIndex> = BTreeSet::new();
    let mut last_own: BTreeMap<(SlotIndex, bool), Statement<u64>> = BTreeMap::new();
    while let Ok(op) = u8::decode(&mut r) {
        now += u64::from(op & 0x0f) * 250;
        let t = Time(now);
        match op >> 4 {
            0 => {
                let v = u64::from(op & 7) + 1;
                let _ = node.nominate(t, 1 + u64::from(op & 8 != 0), v, Hash32::ZERO);
            }
            1 => node.handle_timeouts(t),
            2 => {
                // Restart: a fresh node restored from its own last statements. What it says
                // next must still be newer than what it said before (checked below), and it
                // must not decide a slot differently (a restored EXTERNALIZE is reported again).
                let own: Vec<Statement<u64>> =
                    node.slots().into_iter().flat_map(|s| node.own_statements(s)).collect();
                let Ok(mut fresh) = Node::new(
                    ids[0],
                    node.quorum_set().clone(),
                    node.config().clone(),
                    SmallDriver,
                ) else {
                    return summary;
                };
                for st in own {
                    if matches!(st.pledge, Pledge::Externalize(_)) {
                        rereport.insert(st.slot);
                    }
                    assert!(fresh.restore(st).is_ok(), "own statement did not restore");
                }
                node = fresh;
            }
            3 => {
                let v = u64::from(op & 7) + 1;
                let _ = node.bump_ballot(t, 1 + u64::from(op & 8 != 0), v);
            }
            _ => {
                let Some(st) = next_statement(&mut r, qhash) else { break };
                let before = snapshot(&node);
                if node.handle_statement(t, st).is_err() {
                    summary.rejected += 1;
                    assert_eq!(before, snapshot(&node), "a rejected statement changed state");
                    assert!(node.poll_output().is_none(), "a rejected statement produced output");
                } else {
                    summary.accepted += 1;
                }
            }
        }
        while let Some(out) = node.poll_output() {
            match out {
                Output::Externalized { slot, value } => {
                    if let Some(old) = externalized.insert(slot, value) {
                        // Only a restored EXTERNALIZE reports again, once, the same value.
                        assert!(rereport.remove(&slot), "externalized twice");
                        assert_eq!(old, value, "re-reported a different value");
                    }
                }
                Output::Emit(st) => {
                    let key = (st.slot, st.pledge.is_ballot());
                    if let Some(old) = last_own.get(&key) {
                        assert!(st.pledge.is_newer_than(&old.pledge), "own statement not newer");
                    }
                    if let Pledge::Externalize(e) = &st.pledge
                        && let Some(v) = externalized.get(&st.slot)
                    {
                        assert_eq!(*v, e.commit.value, "externalize statement contradicts output");
                    }
                    last_own.insert(key, st);
                }
                Output::SetTimer { .. } | Output::CancelTimer { .. } => {}
            }
        }
    }
    for s in node.slots() {
        let phase = node.slot_info(s).map(|i| i.phase);
        summary.max_phase = summary.max_phase.max(phase);
    }
    summary.externalized = externalized.len();
    for (slot, v) in externalized {
        assert_eq!(node.externalized_value(slot), Some(&v));
    }
    summary
}
