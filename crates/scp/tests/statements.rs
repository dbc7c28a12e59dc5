//! Statement rules: every sanity check of stellar-core `isStatementSane` / `isSane` (draft
//! §3), the "newer statement" order, the canonical encoding, and the node's intake rules —
//! each rejected statement comes back as a typed error and leaves the node unchanged.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mcnode_scp::{
    Ballot, Confirm, Externalize, Nominate, Pledge, Prepare, QuorumSet, SanityError, Statement,
    StatementError, TxHashSet,
};
use mcnode_types::{Decode, DecodeError, Encode, Hash32};

fn prep(
    b: Ballot<u64>,
    p: Option<Ballot<u64>>,
    pp: Option<Ballot<u64>>,
    n_c: u32,
    n_h: u32,
) -> Pledge<u64> {
    Pledge::Prepare(Prepare { ballot: b, prepared: p, prepared_prime: pp, n_c, n_h })
}

fn conf(b: Ballot<u64>, n_prepared: u32, n_commit: u32, n_h: u32) -> Pledge<u64> {
    Pledge::Confirm(Confirm { ballot: b, n_prepared, n_commit, n_h })
}

fn ext(c: Ballot<u64>, n_h: u32) -> Pledge<u64> {
    Pledge::Externalize(Externalize { commit: c, n_h })
}

fn nom(votes: &[u64], accepted: &[u64]) -> Pledge<u64> {
    Pledge::Nominate(Nominate { votes: votes.to_vec(), accepted: accepted.to_vec() })
}

#[test]
fn sanity_rules_each_rejects() {
    use SanityError::*;
    // NOMINATE: non-empty, sorted, unique.
    assert_eq!(nom(&[], &[]).check_sanity(), Err(EmptyNomination));
    assert_eq!(nom(&[2, 1], &[]).check_sanity(), Err(UnsortedNomination));
    assert_eq!(nom(&[1], &[3, 3]).check_sanity(), Err(UnsortedNomination));
    assert_eq!(nom(&[], &[1]).check_sanity(), Ok(()));
    // PREPARE: counter > 0.
    assert_eq!(prep(b(0, X), None, None, 0, 0).check_sanity(), Err(ZeroCounter));
    // p' < p and incompatible; p' needs p.
    assert_eq!(prep(b(2, X), None, Some(b(1, Y)), 0, 0).check_sanity(), Err(BadPreparedPrime));
    assert_eq!(
        prep(b(2, X), Some(b(1, X)), Some(b(1, X)), 0, 0).check_sanity(),
        Err(BadPreparedPrime),
        "compatible p' is pointless"
    );
    assert_eq!(
        prep(b(2, X), Some(b(1, X)), Some(b(2, Y)), 0, 0).check_sanity(),
        Err(BadPreparedPrime),
        "p' above p"
    );
    assert_eq!(prep(b(2, X), Some(b(2, Y)), Some(b(1, X)), 0, 0).check_sanity(), Ok(()));
    // h <= p.counter.
    assert_eq!(
        prep(b(3, X), Some(b(1, X)), None, 0, 2).check_sanity(),
        Err(HighAbovePrepared { n_h: 2, n_p: 1 })
    );
    assert_eq!(
        prep(b(3, X), None, None, 0, 1).check_sanity(),
        Err(HighAbovePrepared { n_h: 1, n_p: 0 })
    );
    // c != 0 → c <= h <= b.counter.
    assert_eq!(
        prep(b(3, X), Some(b(3, X)), None, 2, 1).check_sanity(),
        Err(BadCommitRange { n_c: 2, n_h: 1, n_b: 3 })
    );
    assert_eq!(
        prep(b(2, X), Some(b(3, X)), None, 1, 3).check_sanity(),
        Err(BadCommitRange { n_c: 1, n_h: 3, n_b: 2 })
    );
    assert_eq!(prep(b(3, X), Some(b(3, X)), None, 1, 3).check_sanity(), Ok(()));
    // CONFIRM: counter > 0, h <= b.counter, c <= h, c > 0.
    assert_eq!(conf(b(0, X), 0, 0, 0).check_sanity(), Err(ZeroCounter));
    assert!(matches!(conf(b(2, X), 2, 1, 3).check_sanity(), Err(BadConfirmRange { .. })));
    assert!(matches!(conf(b(3, X), 2, 3, 2).check_sanity(), Err(BadConfirmRange { .. })));
    assert!(matches!(conf(b(3, X), 2, 0, 2).check_sanity(), Err(BadConfirmRange { .. })));
    assert_eq!(conf(b(3, X), 2, 1, 3).check_sanity(), Ok(()));
    // EXTERNALIZE: c.counter > 0, h >= c.counter.
    assert_eq!(ext(b(0, X), 1).check_sanity(), Err(ZeroCounter));
    assert_eq!(ext(b(3, X), 2).check_sanity(), Err(BadExternalizeRange { n_c: 3, n_h: 2 }));
    assert_eq!(ext(b(3, X), 3).check_sanity(), Ok(()));
}

#[test]
fn newer_statement_order() {
    // Kinds: PREPARE < CONFIRM < EXTERNALIZE; EXTERNALIZE is final.
    let p = prep(b(5, X), Some(b(5, X)), None, 0, 0);
    let c = conf(b(1, X), 1, 1, 1);
    let e = ext(b(1, X), 1);
    assert!(c.is_newer_than(&p) && !p.is_newer_than(&c));
    assert!(e.is_newer_than(&c) && !c.is_newer_than(&e));
    assert!(!e.is_newer_than(&e));
    assert!(!ext(b(9, Z), 9).is_newer_than(&e));
    // PREPARE: lexicographic on (b, p, p', h).
    let base = prep(b(2, X), Some(b(1, X)), None, 0, 0);
    assert!(prep(b(2, Y), None, None, 0, 0).is_newer_than(&base), "b larger");
    assert!(prep(b(2, X), Some(b(2, X)), None, 0, 0).is_newer_than(&base), "p larger");
    assert!(prep(b(2, X), Some(b(1, X)), Some(b(0, Y)), 0, 0).is_newer_than(&base), "p' set");
    assert!(prep(b(2, X), Some(b(1, X)), None, 0, 1).is_newer_than(&base), "h larger");
    assert!(!prep(b(2, X), Some(b(1, X)), None, 1, 0).is_newer_than(&base), "c alone is not newer");
    assert!(!base.is_newer_than(&base));
    assert!(!prep(b(1, Z), Some(b(1, Z)), None, 1, 1).is_newer_than(&base), "b smaller");
    // CONFIRM: (b, p.counter, h).
    let c = conf(b(3, X), 2, 1, 2);
    assert!(conf(b(3, X), 3, 1, 2).is_newer_than(&c));
    assert!(conf(b(3, X), 2, 1, 3).is_newer_than(&c));
    assert!(!conf(b(3, X), 2, 2, 2).is_newer_than(&c));
    assert!(conf(b(4, X), 0, 1, 1).is_newer_than(&c));
    // NOMINATE: both sets grow, one strictly; never compared with ballots.
    let n1 = nom(&[1, 2], &[1]);
    assert!(nom(&[1, 2, 3], &[1]).is_newer_than(&n1));
    assert!(nom(&[1, 2], &[1, 2]).is_newer_than(&n1));
    assert!(!nom(&[1, 2], &[1]).is_newer_than(&n1));
    assert!(!nom(&[1, 3], &[1, 3]).is_newer_than(&n1), "dropped a vote");
    assert!(!p.is_newer_than(&n1) && !n1.is_newer_than(&p));
}

#[test]
fn encoding_round_trips_and_is_pinned() {
    let st = Statement {
        node_id: v(1),
        slot: 7,
        quorum_set_hash: Hash32([9; 32]),
        pledge: prep(b(2, X), Some(b(2, Y)), Some(b(1, X)), 0, 2),
    };
    let bytes = st.to_canonical_bytes();
    assert_eq!(Statement::<u64>::from_canonical_bytes(&bytes).unwrap(), st);
    // node id 32 ‖ slot 8 ‖ qset hash 32 ‖ tag 1 ‖ ballot (4 + 8) ‖ Some p (1+12) ‖ Some p' (1+12) ‖ c 4 ‖ h 4
    assert_eq!(bytes.len(), 32 + 8 + 32 + 1 + 12 + 13 + 13 + 4 + 4);
    assert_eq!(bytes[72], 1, "PREPARE tag");
    for pl in [conf(b(3, X), 2, 1, 3), ext(b(3, X), 4), nom(&[1, 2], &[2])] {
        let st = Statement { pledge: pl, ..st.clone() };
        let bytes = st.to_canonical_bytes();
        assert_eq!(Statement::<u64>::from_canonical_bytes(&bytes).unwrap(), st);
    }
}

#[test]
fn malformed_bytes_give_typed_errors() {
    let st = Statement {
        node_id: v(1),
        slot: 1,
        quorum_set_hash: Hash32::ZERO,
        pledge: ext(b(1, X), 1),
    };
    let mut bytes = st.to_canonical_bytes();
    assert!(matches!(
        Statement::<u64>::from_canonical_bytes(&bytes[..bytes.len() - 1]),
        Err(DecodeError::UnexpectedEnd { .. })
    ));
    bytes[72] = 9;
    assert_eq!(
        Statement::<u64>::from_canonical_bytes(&bytes),
        Err(DecodeError::InvalidTag { what: "SCP pledge", tag: 9 })
    );
    // A TxHashSet value must be strictly increasing on the wire.
    let mut v = Vec::new();
    2u32.encode(&mut v);
    Hash32([2; 32]).encode(&mut v);
    Hash32([1; 32]).encode(&mut v);
    assert!(matches!(TxHashSet::from_canonical_bytes(&v), Err(DecodeError::Invalid { .. })));
}

/// Everything observable about the node.
fn observe(scp: &Scp) -> String {
    format!(
        "{:?} {:?} {:?}",
        scp.node.slot_info(1),
        scp.node.latest_statements(1),
        scp.node.next_timeout()
    )
}

#[track_caller]
fn rejected(scp: &mut Scp, st: Statement<u64>, want: StatementError) {
    let before = observe(scp);
    let envs = scp.envs.len();
    assert_eq!(scp.try_receive(st), Err(want));
    assert_eq!(observe(scp), before, "a rejected statement changed state");
    assert_eq!(scp.envs.len(), envs);
}

#[test]
fn intake_rejections_are_typed_and_change_nothing() {
    let (mut scp, qh) = core5();
    assert!(scp.bump_state(1, X));
    scp.receive(prepare(v(1), qh, b(2, X), Some(b(1, X)), 0, 0, None));
    // Insane.
    rejected(
        &mut scp,
        prepare(v(2), qh, b(0, X), None, 0, 0, None),
        SanityError::ZeroCounter.into(),
    );
    // Older / duplicate.
    rejected(&mut scp, prepare(v(1), qh, b(1, X), None, 0, 0, None), StatementError::NotNewer);
    rejected(
        &mut scp,
        prepare(v(1), qh, b(2, X), Some(b(1, X)), 0, 0, None),
        StatementError::NotNewer,
    );
    // Unknown quorum set.
    rejected(
        &mut scp,
        prepare(v(2), Hash32([7; 32]), b(1, X), None, 0, 0, None),
        StatementError::UnknownQuorumSet { hash: Hash32([7; 32]) },
    );
    // Invalid value.
    scp.node.driver_mut().invalid.insert(Z);
    rejected(&mut scp, prepare(v(2), qh, b(1, Z), None, 0, 0, None), StatementError::InvalidValue);
    rejected(&mut scp, nominate(v(2), qh, &[], &[]), SanityError::EmptyNomination.into());
    // Claims to be us.
    rejected(&mut scp, prepare(v(0), qh, b(9, X), None, 0, 0, None), StatementError::FromSelf);
    // Purged slot.
    scp.node.purge_slots_below(5);
    assert_eq!(
        scp.try_receive(prepare(v(2), qh, b(1, X), None, 0, 0, None)),
        Err(StatementError::SlotPurged { slot: 1, oldest: 5 })
    );
    assert!(scp.node.slot_info(1).is_none());
}

#[test]
fn a_rejected_statement_on_a_new_slot_leaves_no_slot_behind() {
    let (mut scp, qh) = core5();
    scp.node.driver_mut().invalid.insert(Z);
    let st = Statement { slot: 9, ..prepare(v(1), qh, b(1, Z), None, 0, 0, None) };
    assert_eq!(scp.try_receive(st), Err(StatementError::InvalidValue));
    assert!(scp.node.slots().is_empty());
}

#[test]
fn a_rejected_statement_from_a_new_node_leaves_the_node_index_unchanged() {
    // The crate promises that rejected input changes nothing; the table of known node ids
    // (which only grows) is part of that state.
    let (mut scp, qh) = core5();
    let known = scp.node.known_nodes();
    scp.node.driver_mut().invalid.insert(Z);
    let stranger = v(77);
    let st = prepare(stranger, qh, b(1, Z), None, 0, 0, None);
    assert_eq!(scp.try_receive(st), Err(StatementError::InvalidValue));
    assert_eq!(scp.node.known_nodes(), known, "a rejected statement indexed its sender");
    let st = externalize(stranger, qh, b(1, Z), 1);
    assert_eq!(scp.try_receive(st), Err(StatementError::InvalidValue));
    assert_eq!(scp.node.known_nodes(), known);
    // An accepted one does index its sender.
    scp.receive(prepare(stranger, qh, b(1, X), None, 0, 0, None));
    assert_eq!(scp.node.known_nodes(), known + 1);
}

#[test]
fn externalized_slot_rejects_contradictions() {
    let (mut scp, qh) = core5();
    assert!(scp.bump_state(1, X));
    for n in 1..=3 {
        scp.receive(externalize(v(n), qh, b(1, X), 1));
    }
    scp.receive(externalize(v(4), qh, b(1, X), 1));
    assert_eq!(scp.externalized, vec![(1, X)]);
    let (mut w, qh) = core5();
    w.receive(externalize(v(1), qh, b(1, X), 1));
    w.receive(externalize(v(2), qh, b(1, X), 1));
    w.receive(externalize(v(3), qh, b(1, X), 1));
    assert_eq!(w.externalized, vec![(1, X)]);
    rejected(
        &mut w,
        prepare(v(4), qh, b(5, Z), Some(b(5, Z)), 0, 0, None),
        StatementError::IncompatibleWithExternalized,
    );
    // Compatible statements are still recorded (for peers catching up) without effect.
    w.receive(confirm(v(4), qh, 1, b(1, X), 1, 1));
    assert_eq!(w.externalized.len(), 1);
}

#[test]
fn maybe_valid_later_stops_emitting() {
    // stellar-core "Proper handling of non-current ledger value": a statement whose value is
    // not checkable yet is processed, but the node stops emitting for the slot.
    let (mut scp, qh) = core5();
    assert!(scp.bump_state(1, X));
    assert_eq!(scp.envs.len(), 1);
    scp.node.driver_mut().maybe.insert(Y);
    scp.receive(prepare(v(1), qh, b(1, Y), Some(b(1, Y)), 0, 0, None));
    scp.receive(prepare(v(2), qh, b(1, Y), Some(b(1, Y)), 0, 0, None));
    let info = scp.node.slot_info(1).unwrap();
    assert!(!info.fully_validated);
    assert_eq!(info.prepared, Some(b(1, Y)), "state still advances");
    assert_eq!(scp.envs.len(), 1, "but nothing is emitted");
}

#[test]
fn quorum_set_by_hash_must_be_registered() {
    let (mut scp, _) = core5();
    let other = QuorumSet::new(2, vec![v(1), v(2), v(3)]);
    let h = other.hash();
    rejected(
        &mut scp,
        prepare(v(1), h, b(1, X), None, 0, 0, None),
        StatementError::UnknownQuorumSet { hash: h },
    );
    assert_eq!(scp.node.add_quorum_set(other).unwrap(), h);
    scp.receive(prepare(v(1), h, b(1, X), None, 0, 0, None));
    assert_eq!(scp.node.latest_statements(1).len(), 1);
    assert!(scp.node.add_quorum_set(QuorumSet::new(0, vec![v(1)])).is_err());
}
