//! The `garbage` flood: a liar sends its neighbors, in turn, `garbage_rate` bad messages per
//! virtual second, cycling through six kinds, so the cost of rejecting them is exercised and
//! each rejection rule is reached:
//! - `truncated`, `bit-flipped`, `noise`: malformed renderings of one of its statements (an
//!   honest engine drops them as malformed, or as mis-signed when a flipped bit still decodes);
//! - `mis-signed`: a statement that claims another node as its sender, signed with the liar's
//!   key (bad signature);
//! - `oversized`: a valid envelope followed by 64 KiB of padding (malformed: trailing bytes);
//! - `other-chain`: a validly signed statement of another network (other chain).

use mcnode_node::engine::{ScpEnvelope, Wire};
use mcnode_scp::{Nominate, Pledge, Statement, TxHashSet};
use mcnode_types::Hash32;

use super::{fake_value, garbage};
use crate::engine::{Envelope, Event, Sim};

/// Padding of an oversized message.
pub const OVERSIZE_PADDING: usize = 64 * 1024;
/// The chain id of other-chain messages.
pub const OTHER_CHAIN: &str = "mcnode-sim-other-chain";
/// Kinds of flood messages, in the order they are sent.
pub const FLOOD_KINDS: [&str; 6] =
    ["truncated", "bit-flipped", "noise", "mis-signed", "oversized", "other-chain"];

/// `(interval_ms, messages per tick)` for a rate in messages per virtual second.
pub fn flood_pace(rate: u64) -> (u64, u64) {
    if rate >= 1000 { (1, rate / 1000) } else { (1000 / rate.max(1), 1) }
}

impl Sim {
    /// A statement of liar `i` to corrupt: its engine's latest own one, or a nomination of a
    /// fabricated value for its current slot.
    fn flood_base(&self, i: usize) -> ScpEnvelope {
        let n = &self.nodes[i];
        let tip = n.blocks[n.blocks.len() - 1].block.id;
        let chain = crate::enclave::SIM_CHAIN_ID;
        let latest = n.engine.as_ref().and_then(|e| e.own_statements().into_iter().next());
        let st = latest.unwrap_or_else(|| Statement {
            node_id: n.id,
            slot: n.current(),
            quorum_set_hash: n.qset.hash(),
            pledge: Pledge::Nominate(Nominate {
                votes: vec![fake_value(&TxHashSet::from_hashes([Hash32::ZERO]))],
                accepted: vec![],
            }),
        });
        ScpEnvelope::sign_with(&*n.auth, chain, tip, st)
    }

    /// One flood message of kind `FLOOD_KINDS[k]` from liar `i`.
    fn flood_message(&mut self, i: usize, k: usize) -> Wire {
        let base = self.flood_base(i);
        let bytes = base.to_wire();
        match FLOOD_KINDS[k % FLOOD_KINDS.len()] {
            "truncated" => Wire::from(garbage(&bytes, &mut self.rng).swap_remove(0)),
            "bit-flipped" => Wire::from(garbage(&bytes, &mut self.rng).swap_remove(1)),
            "noise" => Wire::from(garbage(&bytes, &mut self.rng).swap_remove(2)),
            "mis-signed" => {
                // Claims a neighbor as the sender; only the liar's own key signs.
                let victim =
                    self.neighbors[i].first().map_or(self.nodes[i].id, |j| self.nodes[*j].id);
                let st = Statement { node_id: victim, ..base.statement.clone() };
                self.resign(i, &base, st)
            }
            "oversized" => {
                let mut v = bytes.to_vec();
                v.resize(v.len() + OVERSIZE_PADDING, 0xA5);
                Wire::from(v)
            }
            _ => ScpEnvelope::sign_with(
                &*self.nodes[i].auth,
                OTHER_CHAIN,
                base.prev_block,
                base.statement,
            )
            .to_wire(),
        }
    }

    /// A flood tick of garbage liar `node` (scheduled while it runs).
    pub(crate) fn on_flood(&mut self, node: usize, epoch: u32) {
        if !self.live(node, epoch) || self.neighbors[node].is_empty() {
            return;
        }
        let (interval, per_tick) = flood_pace(self.cfg.garbage_rate);
        for _ in 0..per_tick {
            let n = &mut self.nodes[node];
            let k = n.flood_sent as usize;
            n.flood_sent += 1;
            let to = self.neighbors[node][k % self.neighbors[node].len()];
            let wire = self.flood_message(node, k);
            self.count_lie(node, &format!("garbage-{}", FLOOD_KINDS[k % FLOOD_KINDS.len()]), 1);
            self.send(node, to, Envelope::lie(wire));
        }
        self.schedule(self.now + interval, Event::Flood { node, epoch });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_matches_the_rate() {
        assert_eq!(flood_pace(100), (10, 1));
        assert_eq!(flood_pace(5000), (1, 5));
        assert_eq!(flood_pace(0), (1000, 1));
    }
}
