//! What a Byzantine test node says instead of the truth, as pure functions of the statement it
//! would send (and of a caller-supplied counter for the varying parts): rewrites that stay
//! sane and validly signed, fabricated values, and malformed renderings. The same lies as the
//! simulator's behaviours (crates/sim/src/byzantine), rebuilt on the node's real envelopes.

use mcnode_crypto::SigningIdentity;
use mcnode_scp::{Nominate, Pledge, Statement, TxHashSet};
use mcnode_types::{Hash32, NodeId};

use crate::engine::{ScpEnvelope, Wire};

/// Domain of the hashes of fabricated values.
pub const FAKE_DOMAIN: &[u8] = b"mcnode-byzantine-fake";
/// Chain id of the `other-chain` garbage.
pub const OTHER_CHAIN: &str = "mcnode-byzantine-other-chain";
/// Flood kinds, in the order the flood cycles through them.
pub const FLOOD_KINDS: [&str; 7] =
    ["truncated", "bit-flipped", "noise", "mis-signed", "unsigned", "oversized", "other-chain"];

/// The phase a statement speaks for (a metrics label part).
pub fn phase(st: &Statement<TxHashSet>) -> &'static str {
    match st.pledge {
        Pledge::Nominate(_) => "nominate",
        Pledge::Prepare(_) => "prepare",
        Pledge::Confirm(_) => "confirm",
        Pledge::Externalize(_) => "externalize",
    }
}

/// A value of as many hashes as `v` that no transaction has (at least one hash).
pub fn fake_value(v: &TxHashSet) -> TxHashSet {
    let seed = Hash32::of(FAKE_DOMAIN, v);
    TxHashSet::from_hashes((0..v.len().max(1) as u64).map(|i| {
        let mut data = seed.0.to_vec();
        data.extend_from_slice(&i.to_be_bytes());
        Hash32::digest(FAKE_DOMAIN, &data)
    }))
}

/// A different value: one hash fewer when `v` has several (still real transactions),
/// otherwise a fabricated one.
pub fn alternative_value(v: &TxHashSet) -> TxHashSet {
    if v.len() > 1 {
        TxHashSet::from_hashes(v.as_slice().iter().copied().take(v.len() - 1))
    } else {
        fake_value(v)
    }
}

/// The conflicting twin of `env`: the same statement about other values, validly signed by
/// `key` for the same chain and parent block.
pub fn equivocation(key: &SigningIdentity, env: &ScpEnvelope) -> ScpEnvelope {
    let alt = env.statement.map_values(alternative_value);
    ScpEnvelope::sign(key, &env.chain_id, env.prev_block, alt)
}

/// A small deterministic generator for the varying parts of garbage (cut points, noise).
pub fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Three malformed renderings of `bytes`: truncated, one bit flipped, and noise.
pub fn malformed(bytes: &[u8], n: u64) -> [Vec<u8>; 3] {
    let len = bytes.len().max(1) as u64;
    let cut = (mix(n) % len) as usize;
    let truncated = bytes.get(..cut).unwrap_or_default().to_vec();
    let mut flipped = bytes.to_vec();
    if let Some(b) = flipped.get_mut((mix(n + 1) % len) as usize) {
        *b ^= 1 << (mix(n + 2) % 8);
    }
    let noise_len = 1 + (mix(n + 3) % 200) as usize;
    let noise = (0..noise_len as u64).map(|i| mix(n.wrapping_add(i) ^ 0xA5) as u8).collect();
    [truncated, flipped, noise]
}

/// A statement to build garbage from when the node has sent none yet: a nomination of a
/// fabricated value for `slot`.
pub fn placeholder(own: NodeId, slot: u64, quorum_set_hash: Hash32) -> Statement<TxHashSet> {
    Statement {
        node_id: own,
        slot,
        quorum_set_hash,
        pledge: Pledge::Nominate(Nominate {
            votes: vec![fake_value(&TxHashSet::from_hashes([Hash32::ZERO]))],
            accepted: vec![],
        }),
    }
}

/// Flood message number `n` (kind `FLOOD_KINDS[n % 7]`) built from `base`, an envelope this
/// node signed; `victim` is the node a mis-signed message claims to come from.
pub fn flood_message(
    key: &SigningIdentity,
    base: &ScpEnvelope,
    victim: NodeId,
    n: u64,
    oversize: usize,
) -> (&'static str, Wire) {
    let i = (n % FLOOD_KINDS.len() as u64) as usize;
    let kind = FLOOD_KINDS[i];
    let bytes = base.to_wire();
    let wire: Wire = match kind {
        "truncated" | "bit-flipped" | "noise" => {
            let [t, f, z] = malformed(&bytes, n);
            Wire::from(match kind {
                "truncated" => t,
                "bit-flipped" => f,
                _ => z,
            })
        }
        "mis-signed" => {
            // Claims another node as its sender; only this node's key signs it.
            let st = Statement { node_id: victim, ..base.statement.clone() };
            ScpEnvelope::sign(key, &base.chain_id, base.prev_block, st).to_wire()
        }
        "unsigned" => ScpEnvelope { signature: None, ..base.clone() }.to_wire(),
        "oversized" => {
            let mut v = bytes.to_vec();
            v.resize(oversize.max(v.len() + 1), 0xA5);
            Wire::from(v)
        }
        _ => ScpEnvelope::sign(key, OTHER_CHAIN, base.prev_block, base.statement.clone()).to_wire(),
    };
    (kind, wire)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_ledger::block::BlockId;
    use mcnode_scp::{Ballot, Prepare};

    fn val(bytes: &[u8]) -> TxHashSet {
        TxHashSet::from_hashes(bytes.iter().map(|b| Hash32([*b; 32])))
    }

    fn key() -> SigningIdentity {
        SigningIdentity::from_seed(&[7; 32])
    }

    fn env(st: Statement<TxHashSet>) -> ScpEnvelope {
        ScpEnvelope::sign(&key(), "test-chain", BlockId(Hash32([9; 32])), st)
    }

    fn own() -> NodeId {
        NodeId(key().verifying().to_bytes())
    }

    #[test]
    fn equivocations_are_validly_signed_sane_and_conflicting() {
        let prep = Statement {
            node_id: own(),
            slot: 3,
            quorum_set_hash: Hash32::ZERO,
            pledge: Pledge::Prepare(Prepare {
                ballot: Ballot::new(2, val(&[1, 2])),
                prepared: Some(Ballot::new(1, val(&[1, 2]))),
                prepared_prime: None,
                n_c: 0,
                n_h: 0,
            }),
        };
        let nom = placeholder(own(), 3, Hash32::ZERO);
        for st in [prep, nom] {
            let e = env(st);
            let twin = equivocation(&key(), &e);
            twin.verify().unwrap();
            twin.statement.pledge.check_sanity().unwrap();
            assert_ne!(twin.statement, e.statement);
            assert_eq!((twin.statement.slot, twin.prev_block), (e.statement.slot, e.prev_block));
        }
        // Several hashes: the twin keeps real ones (one fewer); one: a fabricated value.
        assert_eq!(alternative_value(&val(&[1, 2, 3])), val(&[1, 2]));
        assert!(!fake_value(&val(&[1])).contains(&Hash32([1; 32])));
    }

    #[test]
    fn flood_cycles_through_every_kind_and_each_is_bad_in_its_own_way() {
        let base = env(placeholder(own(), 1, Hash32::ZERO));
        let victim = NodeId([4; 32]);
        let mut kinds = Vec::new();
        for n in 0..FLOOD_KINDS.len() as u64 {
            let (kind, w) = flood_message(&key(), &base, victim, n, 70_000);
            kinds.push(kind);
            let decoded = <ScpEnvelope as mcnode_types::Decode>::from_canonical_bytes(&w);
            match kind {
                "truncated" | "noise" | "oversized" => assert!(decoded.is_err(), "{kind}"),
                "mis-signed" => assert!(decoded.unwrap().verify().is_err()),
                "unsigned" => assert!(decoded.unwrap().signature.is_none()),
                "other-chain" => {
                    let e = decoded.unwrap();
                    assert_eq!(e.chain_id, OTHER_CHAIN);
                    e.verify().unwrap();
                }
                _ => assert_ne!(&w[..], &base.to_wire()[..], "{kind}"),
            }
            if kind == "oversized" {
                assert_eq!(w.len(), 70_000);
            }
        }
        assert_eq!(kinds, FLOOD_KINDS);
    }
}
