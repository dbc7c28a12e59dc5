//! Byzantine behaviours: what a lying node does to the statements its own SCP core emits.
//!
//! A Byzantine node runs the node's real engine (so its lies are plausible and well-timed) and
//! the simulator rewrites the envelopes it sends of its own, re-signing them with the liar's
//! own key (so they pass the signature check and meet the real rules after it):
//! - `silent`: it sends nothing at all and answers nobody.
//! - `equivocate`: every statement goes unchanged to half of its peers and with a different,
//!   still valid value (one hash fewer) to the other half, both validly signed.
//! - `conflicting-values`: it nominates, and votes in ballots for, values made of hashes nobody
//!   submitted, and answers catch-up requests with forged blocks of those (signed by itself).
//! - `replay`: besides its own statements it resends old messages it has seen, its own and
//!   other nodes'.
//! - `garbage`: instead of each statement it sends malformed bytes (truncated and bit-flipped
//!   encodings, and random noise).
//!
//! None of them relays other nodes' messages or transactions.

use mcnode_ledger::block::BlockData;
use mcnode_node::engine::{ScpEnvelope, Wire};
use mcnode_scp::{Pledge, Statement, TxHashSet};
use mcnode_types::{Decode, Hash32};

use crate::engine::Sim;
use crate::node::{HISTORY, SimNode, remember};
use crate::rng::SimRng;

/// Domain tag of fabricated values.
pub const FAKE_DOMAIN: &[u8] = b"mcnode-sim-fake";

/// A Byzantine behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    /// Says nothing.
    Silent,
    /// Different statements to different peers.
    Equivocate,
    /// Votes for values nobody proposed.
    ConflictingValues,
    /// Resends old messages.
    Replay,
    /// Sends malformed messages.
    Garbage,
}

impl Behaviour {
    /// Parses the scenario-file name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "silent" => Behaviour::Silent,
            "equivocate" => Behaviour::Equivocate,
            "conflicting-values" => Behaviour::ConflictingValues,
            "replay" => Behaviour::Replay,
            "garbage" => Behaviour::Garbage,
            _ => return None,
        })
    }

    /// The scenario-file name.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Silent => "silent",
            Behaviour::Equivocate => "equivocate",
            Behaviour::ConflictingValues => "conflicting-values",
            Behaviour::Replay => "replay",
            Behaviour::Garbage => "garbage",
        }
    }
}

/// `st` with every value replaced by `f(value)` (nomination lists re-sorted and deduplicated).
pub fn map_values(
    st: &Statement<TxHashSet>,
    f: &impl Fn(&TxHashSet) -> TxHashSet,
) -> Statement<TxHashSet> {
    let mut out = st.clone();
    let list = |l: &[TxHashSet]| {
        let mut v: Vec<TxHashSet> = l.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    match &mut out.pledge {
        Pledge::Nominate(n) => {
            n.votes = list(&n.votes);
            n.accepted = list(&n.accepted);
        }
        Pledge::Prepare(p) => {
            p.ballot.value = f(&p.ballot.value);
            if let Some(b) = &mut p.prepared {
                b.value = f(&b.value);
            }
            if let Some(b) = &mut p.prepared_prime {
                b.value = f(&b.value);
            }
        }
        Pledge::Confirm(c) => c.ballot.value = f(&c.ballot.value),
        Pledge::Externalize(e) => e.commit.value = f(&e.commit.value),
    }
    out
}

/// A value of the same size as `v` made of hashes nobody submitted.
pub fn fake_value(v: &TxHashSet) -> TxHashSet {
    let seed = Hash32::of(FAKE_DOMAIN, v);
    let n = v.len().max(1);
    TxHashSet::from_hashes((0..n as u64).map(|i| {
        let mut data = seed.0.to_vec();
        data.extend_from_slice(&i.to_be_bytes());
        Hash32::digest(FAKE_DOMAIN, &data)
    }))
}

/// A different value that honest nodes still accept: `v` without its largest hash (or a fake
/// value when `v` has only one).
pub fn alternative_value(v: &TxHashSet) -> TxHashSet {
    if v.len() > 1 {
        TxHashSet::from_hashes(v.as_slice().iter().copied().take(v.len() - 1))
    } else {
        fake_value(v)
    }
}

/// Malformed renderings of the envelope `bytes`: a truncated copy, a bit-flipped one, and
/// random bytes.
pub fn garbage(bytes: &[u8], rng: &mut SimRng) -> Vec<Vec<u8>> {
    let bytes = bytes.to_vec();
    let cut = rng.below(bytes.len() as u64) as usize;
    let mut flipped = bytes.clone();
    if !flipped.is_empty() {
        let at = rng.below(flipped.len() as u64) as usize;
        flipped[at] ^= 1 << rng.below(8);
    }
    let noise_len = rng.between(1, 200) as usize;
    let noise = (0..noise_len).map(|_| rng.next_u64() as u8).collect();
    vec![bytes[..cut].to_vec(), flipped, noise]
}

/// Blocks like `blocks` (which follow `parent`) but of fabricated values, linked to each other
/// and signed by the liar alone.
pub(crate) fn forge_blocks(
    parent: &BlockData,
    blocks: &[BlockData],
    liar: &SimNode,
    now_ms: u64,
) -> Vec<BlockData> {
    let mut prev = parent.block;
    let mut out = Vec::with_capacity(blocks.len());
    for b in blocks {
        let fake = fake_value(&crate::enclave::block_value(b));
        let data = crate::enclave::form_block(&prev, fake.as_slice(), &liar.block_key, now_ms);
        prev = data.block;
        out.push(data);
    }
    out
}

impl Sim {
    /// What Byzantine node `i` sends instead of its own envelope `msg`: each wire with the
    /// half of its neighbors it goes to (`Some(0)` even, `Some(1)` odd positions; `None` all).
    pub(crate) fn byzantine_rewrite(
        &mut self,
        i: usize,
        b: Behaviour,
        msg: Wire,
    ) -> Vec<(Wire, Option<usize>)> {
        let resign = |sim: &Sim, env: &ScpEnvelope, st: Statement<TxHashSet>| -> Wire {
            let auth = &*sim.nodes[i].auth;
            ScpEnvelope::sign_with(auth, &env.chain_id, env.prev_block, st).to_wire()
        };
        match b {
            Behaviour::Silent => Vec::new(),
            Behaviour::Replay => {
                let mut out = vec![(msg.clone(), None)];
                for _ in 0..2 {
                    let len = self.nodes[i].history.len() as u64;
                    if len == 0 {
                        break;
                    }
                    let k = self.rng.below(len) as usize;
                    out.push((self.nodes[i].history[k].clone(), None));
                }
                remember(&mut self.nodes[i].history, msg, HISTORY);
                out
            }
            Behaviour::Equivocate => {
                let Ok(env) = ScpEnvelope::from_canonical_bytes(&msg) else { return Vec::new() };
                let alt = map_values(&env.statement, &alternative_value);
                let b = resign(self, &env, alt);
                vec![(msg, Some(0)), (b, Some(1))]
            }
            Behaviour::ConflictingValues => {
                let Ok(env) = ScpEnvelope::from_canonical_bytes(&msg) else { return Vec::new() };
                let fake = map_values(&env.statement, &fake_value);
                vec![(resign(self, &env, fake), None)]
            }
            Behaviour::Garbage => garbage(&msg, &mut self.rng)
                .into_iter()
                .map(|bytes| (Wire::from(bytes), None))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_scp::{Ballot, Nominate, Prepare};
    use mcnode_types::NodeId;

    fn val(bytes: &[u8]) -> TxHashSet {
        TxHashSet::from_hashes(bytes.iter().map(|b| Hash32([*b; 32])))
    }

    #[test]
    fn names_round_trip() {
        for b in [
            Behaviour::Silent,
            Behaviour::Equivocate,
            Behaviour::ConflictingValues,
            Behaviour::Replay,
            Behaviour::Garbage,
        ] {
            assert_eq!(Behaviour::parse(b.name()), Some(b));
        }
        assert_eq!(Behaviour::parse("nice"), None);
    }

    #[test]
    fn rewritten_statements_stay_sane_and_differ() {
        let st = Statement {
            node_id: NodeId([1; 32]),
            slot: 3,
            quorum_set_hash: Hash32::ZERO,
            pledge: Pledge::Prepare(Prepare {
                ballot: Ballot::new(2, val(&[1, 2, 3])),
                prepared: Some(Ballot::new(1, val(&[1, 2, 3]))),
                prepared_prime: None,
                n_c: 0,
                n_h: 0,
            }),
        };
        let alt = map_values(&st, &alternative_value);
        assert_ne!(alt, st);
        alt.pledge.check_sanity().unwrap();
        let fake = map_values(&st, &fake_value);
        fake.pledge.check_sanity().unwrap();
        assert_eq!(fake_value(&val(&[1, 2, 3])).len(), 3);
        assert!(!fake_value(&val(&[1])).contains(&Hash32([1; 32])));
        let nom = Statement {
            pledge: Pledge::Nominate(Nominate {
                votes: vec![val(&[1]), val(&[2])],
                accepted: vec![],
            }),
            ..st.clone()
        };
        map_values(&nom, &fake_value).pledge.check_sanity().unwrap();
        let mut rng = SimRng::new(1);
        let bytes = mcnode_types::Encode::to_canonical_bytes(&st);
        let g = garbage(&bytes, &mut rng);
        assert_eq!(g.len(), 3);
        assert!(g[0].len() < bytes.len());
    }
}
