//! Byzantine behaviours: what a lying node sends instead of what its engine asks it to, and on
//! which paths it lies.
//!
//! A Byzantine node runs the node's real engine (so its lies are plausible and well-timed) and
//! the simulator rewrites what it sends, re-signing statements with the liar's own key (so they
//! pass the signature check and meet the engine's later rules):
//! - `silent`: sends nothing, answers nobody.
//! - `equivocate`: at every phase its engine reaches (nominate, prepare, confirm, externalize)
//!   each statement goes unchanged to half of its peers and, validly signed and sane, with a
//!   different value (one hash fewer) to the other half.
//! - `conflicting-values`: nominates and votes for *real* transactions in other combinations
//!   than its engine chose (every even-placed pending hash to half of its peers, every
//!   odd-placed one to the other half), and turns every PREPARE into a vote to commit a ballot
//!   it never prepared (a CONFIRM from counter 1).
//! - `replay`: re-sends old validly signed messages, its own and other nodes', from earlier
//!   slots and counters: a few with each message of its own, its whole store to a peer that
//!   (re)connects (a restarted node has no dedup memory), and a burst when the network is
//!   partitioned or healed.
//! - `garbage`: sends malformed bytes instead of its statements, and floods its neighbors at the
//!   configured rate with truncated, bit-flipped, random, mis-signed, oversized and other-chain
//!   messages ([`flood`]).
//! - `lying-sync`: honest in consensus, but answers state requests (the statements sent to a
//!   connecting or lagging peer) with stale statements and a forged EXTERNALIZE, and catch-up
//!   requests with forged, tampered and stale blocks ([`sync`]).
//!
//! Every non-silent liar also lies on the recovery path: its answers to block requests are
//! forged (equivocate, conflicting-values, lying-sync), tampered (garbage, lying-sync) or
//! stale (replay, lying-sync). None of them relays other nodes' messages or transactions.
//!
//! Each lie is counted by kind on the liar (`Report::details.lies`), and every delivery of a lie
//! to an honest node records what the honest engine did with it: the drop cause, or
//! `processed` when it passed every check and reached SCP (or waits for its slot or bodies)
//! (`Report::details.lie_outcomes`).

pub mod flood;
pub mod sync;
pub mod values;

use mcnode_node::engine::{ScpEnvelope, Wire};
use mcnode_scp::{Nominate, Pledge, Statement, TxHashSet};
use mcnode_types::Decode;

use crate::engine::Sim;
pub use values::{
    FAKE_DOMAIN, alternative_value, fake_value, garbage, phase, split_combinations,
    unprepared_commit,
};

/// A Byzantine behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    /// Says nothing.
    Silent,
    /// Different statements to different peers at every phase.
    Equivocate,
    /// Real transactions in other combinations, to different peers; unprepared commits.
    ConflictingValues,
    /// Resends old messages.
    Replay,
    /// Sends and floods malformed messages.
    Garbage,
    /// Lies in state and catch-up answers.
    LyingSync,
}

impl Behaviour {
    /// Every behaviour, for tests and sweeps.
    pub const ALL: [Behaviour; 6] = [
        Behaviour::Silent,
        Behaviour::Equivocate,
        Behaviour::ConflictingValues,
        Behaviour::Replay,
        Behaviour::Garbage,
        Behaviour::LyingSync,
    ];

    /// Parses the scenario-file name.
    pub fn parse(s: &str) -> Option<Self> {
        Behaviour::ALL.into_iter().find(|b| b.name() == s)
    }

    /// The scenario-file name.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Silent => "silent",
            Behaviour::Equivocate => "equivocate",
            Behaviour::ConflictingValues => "conflicting-values",
            Behaviour::Replay => "replay",
            Behaviour::Garbage => "garbage",
            Behaviour::LyingSync => "lying-sync",
        }
    }
}

/// One wire a liar sends: the bytes, the half of its neighbors it goes to (`Some(0)` even,
/// `Some(1)` odd positions, `None` all), and whether it is a lie.
pub(crate) type Outgoing = (Wire, Option<usize>, bool);

impl Sim {
    /// Counts one lie of kind `kind` told by node `i`.
    pub(crate) fn count_lie(&mut self, i: usize, kind: &str, n: u64) {
        let lies = &mut self.nodes[i].lies;
        match lies.get_mut(kind) {
            Some(c) => *c += n,
            None => {
                lies.insert(kind.to_string(), n);
            }
        }
    }

    /// `st` signed by node `i` for `env`'s chain and parent.
    pub(crate) fn resign(&self, i: usize, env: &ScpEnvelope, st: Statement<TxHashSet>) -> Wire {
        ScpEnvelope::sign_with(&*self.nodes[i].auth, &env.chain_id, env.prev_block, st).to_wire()
    }

    /// What Byzantine node `i` sends instead of its own envelope `msg` (`directed`: an answer
    /// to one peer, such as the statements sent on connection).
    pub(crate) fn byzantine_rewrite(
        &mut self,
        i: usize,
        b: Behaviour,
        msg: Wire,
        directed: bool,
    ) -> Vec<Outgoing> {
        match b {
            Behaviour::Silent => Vec::new(),
            Behaviour::Replay => {
                let mut out = vec![(msg.clone(), None, false)];
                for _ in 0..2 {
                    if let Some(w) = self.pick_history(i) {
                        self.count_replay(i, &w);
                        out.push((w, None, true));
                    }
                }
                self.keep_history(i, msg);
                out
            }
            Behaviour::Equivocate => {
                let Ok(env) = ScpEnvelope::from_canonical_bytes(&msg) else { return Vec::new() };
                let alt = env.statement.map_values(alternative_value);
                let w = self.resign(i, &env, alt);
                self.count_lie(i, &format!("equivocation-{}", phase(&env.statement)), 1);
                vec![(msg, Some(0), false), (w, Some(1), true)]
            }
            Behaviour::ConflictingValues => self.conflicting(i, msg),
            Behaviour::Garbage => {
                let bytes = garbage(&msg, &mut self.rng);
                self.count_lie(i, "garbage-instead-of-statement", bytes.len() as u64);
                bytes.into_iter().map(|b| (Wire::from(b), None, true)).collect()
            }
            Behaviour::LyingSync if directed => self.lying_state_answer(i, msg),
            Behaviour::LyingSync => {
                self.keep_history(i, msg.clone());
                vec![(msg, None, false)]
            }
        }
    }

    /// `conflicting-values`: two combinations of real pending transactions, one to each half
    /// of the peers; a PREPARE becomes a commit vote for a ballot never prepared.
    fn conflicting(&mut self, i: usize, msg: Wire) -> Vec<Outgoing> {
        let Ok(env) = ScpEnvelope::from_canonical_bytes(&msg) else { return Vec::new() };
        let k = self.cfg.max_values_per_slot.max(2);
        let pending = self.nodes[i].engine.as_ref().map(|e| e.pool().select(k)).unwrap_or_default();
        let st = &env.statement;
        let combos = split_combinations(&pending).unwrap_or_else(|| {
            let v = first_value(st).unwrap_or_default();
            [alternative_value(&v), fake_value(&v)]
        });
        let mut out = Vec::with_capacity(2);
        for (parity, value) in combos.into_iter().enumerate() {
            let lie = match &st.pledge {
                Pledge::Nominate(_) => Statement {
                    pledge: Pledge::Nominate(Nominate {
                        votes: vec![value.clone()],
                        accepted: vec![value],
                    }),
                    ..st.clone()
                },
                Pledge::Prepare(_) => {
                    self.count_lie(i, "unprepared-commit", 1);
                    unprepared_commit(st, value)
                }
                _ => st.map_values(|_| value.clone()),
            };
            self.count_lie(i, &format!("conflicting-{}", phase(st)), 1);
            out.push((self.resign(i, &env, lie), Some(parity), true));
        }
        out
    }
}

/// The first value a statement names.
fn first_value(st: &Statement<TxHashSet>) -> Option<TxHashSet> {
    match &st.pledge {
        Pledge::Nominate(n) => n.votes.first().or(n.accepted.first()).cloned(),
        Pledge::Prepare(p) => Some(p.ballot.value.clone()),
        Pledge::Confirm(c) => Some(c.ballot.value.clone()),
        Pledge::Externalize(e) => Some(e.commit.value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Behaviour::ALL {
            assert_eq!(Behaviour::parse(b.name()), Some(b));
        }
        assert_eq!(Behaviour::parse("nice"), None);
    }
}
