//! Rejection cost under a garbage flood (BENCHMARKS.md): how many bad messages per second one
//! node's engine rejects on one core, per kind of garbage the `garbage` liar floods with, using
//! the production authenticator (Ed25519 envelopes). Run in release:
//! `cargo run --release -p mcnode-sim --example garbage_cost [MESSAGES_PER_KIND]`.

use std::collections::BTreeMap;
use std::time::Instant;

use mcnode_crypto::SigningIdentity;
use mcnode_node::engine::{DropCause, Ed25519Auth, Engine, EngineConfig, Input, ScpEnvelope, Tip};
use mcnode_scp::{Nominate, Pledge, QuorumSet, Statement, Time, TxHashSet};
use mcnode_sim::byzantine::flood::{OTHER_CHAIN, OVERSIZE_PADDING};
use mcnode_sim::rng::SimRng;
use mcnode_types::{Hash32, NodeId};

const CHAIN: &str = "mcnode-bench";

fn main() {
    let per_kind: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let keys: Vec<SigningIdentity> =
        (1..=4u8).map(|i| SigningIdentity::from_seed(&[i; 32])).collect();
    let ids: Vec<NodeId> = keys.iter().map(|k| NodeId(k.verifying().to_bytes())).collect();
    let qset = |me: usize| {
        QuorumSet::new(
            2,
            ids.iter().enumerate().filter(|(j, _)| *j != me).map(|(_, id)| *id).collect(),
        )
    };
    let network: BTreeMap<NodeId, QuorumSet> = (1..4).map(|j| (ids[j], qset(j))).collect();
    let cfg = EngineConfig::new(CHAIN, keys[0].clone(), qset(0), network);
    let origin = mcnode_sim::enclave::origin();
    let tip = Tip { index: 0, id: origin.block.id };
    let Ok(mut engine) = Engine::new(cfg, tip, Vec::new(), Time(0)) else {
        eprintln!("engine refused the configuration");
        std::process::exit(1);
    };
    // The liar (node 1) and one of its statements for the current slot.
    let liar = Ed25519Auth::new(keys[1].clone());
    let st = Statement {
        node_id: ids[1],
        slot: 1,
        quorum_set_hash: qset(1).hash(),
        pledge: Pledge::Nominate(Nominate {
            votes: vec![TxHashSet::from_hashes((0..20u8).map(|b| Hash32([b; 32])))],
            accepted: vec![],
        }),
    };
    let good = ScpEnvelope::sign_with(&liar, CHAIN, tip.id, st.clone()).to_wire();
    let mut rng = SimRng::new(1);
    println!("| garbage kind | bytes | rejected as | messages/s (one core) |");
    println!("|---|---|---|---|");
    let mut total = (0u64, 0f64);
    for kind in ["truncated", "bit-flipped", "noise", "mis-signed", "oversized", "other-chain"] {
        // Oversized messages are 64 KiB each: fewer of them, to keep memory small.
        let count = if kind == "oversized" { (per_kind / 20).max(1) } else { per_kind };
        let mut msgs: Vec<Vec<u8>> = Vec::with_capacity(count as usize);
        for k in 0..count {
            // Each message differs (so dedup never short-cuts the checks).
            let mut s = st.clone();
            s.pledge = Pledge::Nominate(Nominate {
                votes: vec![TxHashSet::from_hashes([Hash32::digest(b"bench", &k.to_be_bytes())])],
                accepted: vec![],
            });
            let bytes = match kind {
                "truncated" => {
                    good[..good.len() - 1 - rng.below(good.len() as u64 - 1) as usize].to_vec()
                }
                "bit-flipped" => {
                    let mut b = ScpEnvelope::sign_with(&liar, CHAIN, tip.id, s).to_wire().to_vec();
                    let at = b.len() - 1 - rng.below(64) as usize; // in the signature
                    b[at] ^= 1 << rng.below(8);
                    b
                }
                "noise" => (0..rng.between(1, 200)).map(|_| rng.next_u64() as u8).collect(),
                "mis-signed" => {
                    let claim = Statement { node_id: ids[2], ..s };
                    ScpEnvelope::sign_with(&liar, CHAIN, tip.id, claim).to_wire().to_vec()
                }
                "oversized" => {
                    let mut b = ScpEnvelope::sign_with(&liar, CHAIN, tip.id, s).to_wire().to_vec();
                    b.resize(b.len() + OVERSIZE_PADDING, 0xA5);
                    b
                }
                _ => ScpEnvelope::sign_with(&liar, OTHER_CHAIN, tip.id, s).to_wire().to_vec(),
            };
            msgs.push(bytes);
        }
        let bytes = msgs.iter().map(Vec::len).sum::<usize>() / msgs.len().max(1);
        let before = engine.drops().clone();
        let start = Instant::now();
        for m in msgs {
            let _ = engine.handle(Time(1), Input::PeerMessage { from: ids[1], bytes: m });
        }
        let secs = start.elapsed().as_secs_f64();
        let causes: Vec<&str> = DropCause::ALL
            .iter()
            .filter(|c| engine.drops().get(**c) > before.get(**c))
            .map(|c| c.label())
            .collect();
        let rejected = engine.drops().total() - before.total();
        assert_eq!(rejected, count, "{kind}: every message must be rejected");
        total.0 += count;
        total.1 += secs;
        println!("| {kind} | {bytes} | {} | {:.0} |", causes.join(", "), count as f64 / secs);
    }
    println!("| all six, mixed | | | {:.0} |", total.0 as f64 / total.1);
}
