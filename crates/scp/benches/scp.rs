//! SCP core throughput: statements processed per second while a full-mesh network decides
//! one slot whose value is a set of 100 transaction hashes (each node proposes 100 hashes,
//! overlapping its neighbours'; combine is the union capped at 100).
//!
//! Run: `cargo bench -p mcnode-scp --bench scp`. Each iteration builds fresh nodes (not
//! timed) and delivers every emitted statement to every other node, zero latency, FIFO, until
//! every node externalized; divan's items/s is statements handled per second (all nodes'
//! `handle_statement` calls, single thread).

#![allow(clippy::panic)]

use std::collections::VecDeque;

use divan::Bencher;
use divan::counter::ItemsCount;
use mcnode_scp::{Node, Output, QuorumSet, ScpConfig, Statement, Time, TxHashSet, TxSetDriver};
use mcnode_types::{Hash32, NodeId};

fn main() {
    divan::main();
}

const VALUES_PER_SLOT: usize = 100;

fn id(i: usize) -> NodeId {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    NodeId(b)
}

fn proposal(i: usize) -> TxHashSet {
    TxHashSet::from_hashes(
        (0..VALUES_PER_SLOT)
            .map(|k| Hash32::digest(b"bench-tx", &((i * 10 + k) as u64).to_be_bytes())),
    )
}

type BNode = Node<TxHashSet, TxSetDriver>;

/// Nodes of an `n`-node mesh with threshold `t`, each having nominated its proposal.
fn network(n: usize, t: u32) -> Vec<BNode> {
    let q = QuorumSet::new(t, (0..n).map(id).collect());
    (0..n)
        .map(|i| {
            let mut node = Node::new(
                id(i),
                q.clone(),
                ScpConfig::default(),
                TxSetDriver { max_values: VALUES_PER_SLOT },
            )
            .unwrap_or_else(|e| panic!("bad qset: {e}"));
            node.nominate(Time(0), 1, proposal(i), Hash32::ZERO)
                .unwrap_or_else(|e| panic!("nominate: {e}"));
            node
        })
        .collect()
}

/// Delivers until every node externalized; returns statements handled.
fn run_slot(nodes: &mut [BNode]) -> u64 {
    let n = nodes.len();
    let mut queue: VecDeque<(usize, Statement<TxHashSet>)> = VecDeque::new();
    let mut decided = vec![false; n];
    let mut handled = 0u64;
    let drain = |i: usize, node: &mut BNode, queue: &mut VecDeque<_>, decided: &mut [bool]| {
        while let Some(o) = node.poll_output() {
            match o {
                Output::Emit(st) => queue.push_back((i, st)),
                Output::Externalized { .. } => decided[i] = true,
                _ => {}
            }
        }
    };
    for (i, node) in nodes.iter_mut().enumerate() {
        drain(i, node, &mut queue, &mut decided);
    }
    while let Some((from, st)) = queue.pop_front() {
        for (to, node) in nodes.iter_mut().enumerate() {
            if to != from {
                let _ = node.handle_statement(Time(0), st.clone());
                handled += 1;
                drain(to, node, &mut queue, &mut decided);
            }
        }
        if decided.iter().all(|d| *d) && queue.is_empty() {
            break;
        }
    }
    assert!(decided.iter().all(|d| *d), "network did not decide");
    handled
}

#[divan::bench(args = [(5, 4), (50, 34), (100, 67)])]
fn decide_one_slot(bencher: Bencher, (n, t): (usize, u32)) {
    let messages = run_slot(&mut network(n, t));
    bencher
        .counter(ItemsCount::new(messages))
        .with_inputs(|| network(n, t))
        .bench_local_values(|mut nodes| run_slot(&mut nodes));
}
