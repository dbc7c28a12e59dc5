//! Record/replay: a node's complete history (inputs, driver answers, results, outputs)
//! survives encoding and replays bit for bit; any change to the log is detected.

#![allow(clippy::unwrap_used)]

use mcnode_scp::record::{Entry, Log, Recorder, ReplayError, replay};
use mcnode_scp::{Node, Output, QuorumSet, ScpConfig, Time, TxHashSet, TxSetDriver, Validity};
use mcnode_types::{Decode, Encode, Hash32, NodeId};

fn id(i: u8) -> NodeId {
    NodeId([i + 1; 32])
}

/// Three nodes 2-of-3; node 0 is recorded. Messages are delivered in rounds; timers fire when
/// the network is quiet. Returns the log and node 0's decision.
fn recorded_run() -> (Log<TxHashSet>, TxHashSet) {
    let q = QuorumSet::new(2, (0..3).map(id).collect());
    let drv = TxSetDriver { max_values: 10 };
    let mut rec = Recorder::new(id(0), q.clone(), ScpConfig::default(), drv).unwrap();
    let mut others: Vec<Node<TxHashSet, TxSetDriver>> =
        (1..3).map(|i| Node::new(id(i), q.clone(), ScpConfig::default(), drv).unwrap()).collect();
    let mut now = Time(0);
    rec.add_quorum_set(q.clone()).unwrap();
    for (k, slot_value) in
        (0..3u8).map(|i| TxHashSet::from_hashes([Hash32([i + 1; 32])])).enumerate()
    {
        if k == 0 {
            rec.nominate(now, 1, slot_value, Hash32::ZERO).unwrap();
        } else {
            others[k - 1].nominate(now, 1, slot_value, Hash32::ZERO).unwrap();
        }
    }
    // A rejected input is part of the history too.
    let bogus = mcnode_scp::Statement {
        node_id: id(1),
        slot: 1,
        quorum_set_hash: Hash32([5; 32]),
        pledge: mcnode_scp::Pledge::Nominate(mcnode_scp::Nominate {
            votes: vec![],
            accepted: vec![],
        }),
    };
    assert!(rec.handle_statement(now, bogus).is_err());
    let mut decided = None;
    for _round in 0..200 {
        let mut mail = Vec::new();
        while let Some(o) = rec.poll_output() {
            match o {
                Output::Emit(st) => mail.push((0, st)),
                Output::Externalized { value, .. } => decided = Some(value),
                _ => {}
            }
        }
        for (k, n) in others.iter_mut().enumerate() {
            while let Some(o) = n.poll_output() {
                if let Output::Emit(st) = o {
                    mail.push((k + 1, st));
                }
            }
        }
        if decided.is_some() && mail.is_empty() {
            break;
        }
        if mail.is_empty() {
            now = Time(now.0 + 1000);
            rec.handle_timeouts(now);
            for n in &mut others {
                n.handle_timeouts(now);
            }
            continue;
        }
        for (from, st) in mail {
            if from != 0 {
                let _ = rec.handle_statement(now, st.clone());
            }
            for (k, n) in others.iter_mut().enumerate() {
                if k + 1 != from {
                    let _ = n.handle_statement(now, st.clone());
                }
            }
        }
    }
    (rec.into_log(), decided.unwrap())
}

#[test]
fn log_round_trips_and_replays_exactly() {
    let (log, decided) = recorded_run();
    assert!(log.entries.iter().any(|e| matches!(e, Entry::Validate { .. })));
    assert!(log.entries.iter().any(|e| matches!(e, Entry::Combine { .. })));
    assert!(log.entries.iter().any(|e| matches!(e, Entry::Result(c) if *c != 0)));
    let bytes = log.to_canonical_bytes();
    let back = Log::<TxHashSet>::from_canonical_bytes(&bytes).unwrap();
    assert_eq!(back, log);
    let node = replay(&back).unwrap();
    assert_eq!(node.externalized_value(1), Some(&decided));
}

#[test]
fn replay_detects_a_changed_output() {
    let (mut log, _) = recorded_run();
    let i = log
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Output(Output::SetTimer { .. })))
        .unwrap();
    if let Entry::Output(Output::SetTimer { deadline, .. }) = &mut log.entries[i] {
        *deadline = Time(deadline.0 + 1);
    }
    assert_eq!(replay(&log).unwrap_err(), ReplayError::Diverged { index: i });
}

#[test]
fn replay_detects_a_changed_driver_answer() {
    let (mut log, _) = recorded_run();
    let i = log.entries.iter().position(|e| matches!(e, Entry::Validate { .. })).unwrap();
    if let Entry::Validate { answer, .. } = &mut log.entries[i] {
        *answer = Validity::Invalid;
    }
    assert!(matches!(replay(&log), Err(ReplayError::Diverged { .. })));
}

#[test]
fn replay_detects_a_missing_output() {
    let (mut log, _) = recorded_run();
    let i = log.entries.iter().rposition(|e| matches!(e, Entry::Output(Output::Emit(_)))).unwrap();
    log.entries.remove(i);
    assert!(matches!(replay(&log), Err(ReplayError::Diverged { .. })));
}

#[test]
fn truncated_log_bytes_are_a_typed_error() {
    let (log, _) = recorded_run();
    let bytes = log.to_canonical_bytes();
    assert!(Log::<TxHashSet>::from_canonical_bytes(&bytes[..bytes.len() / 2]).is_err());
}
