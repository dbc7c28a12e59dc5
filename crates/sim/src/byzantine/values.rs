//! How liars change values: rewrites of a statement's values that stay sane (so they pass
//! every check an honest node makes before SCP), fabricated values, real transactions in other
//! combinations, commit votes for ballots never prepared, and malformed renderings.

use mcnode_scp::{Ballot, Confirm, Pledge, Statement, TxHashSet};
use mcnode_types::Hash32;

use crate::rng::SimRng;

/// Domain tag of fabricated values.
pub const FAKE_DOMAIN: &[u8] = b"mcnode-sim-fake";

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

/// Two different combinations of the real transactions `pending` (every even-placed hash, and
/// every odd-placed one), both valid at an honest node that holds them; `None` with fewer than
/// two.
pub fn split_combinations(pending: &[Hash32]) -> Option<[TxHashSet; 2]> {
    if pending.len() < 2 {
        return None;
    }
    let pick =
        |parity: usize| TxHashSet::from_hashes(pending.iter().skip(parity).step_by(2).copied());
    Some([pick(0), pick(1)])
}

/// A vote to commit ballot `(counter, value)` that its sender never prepared: a CONFIRM that
/// says the ballot is prepared and commits it from counter 1, whatever came before. It passes
/// the sanity checks (`1 <= n_commit <= n_h <= counter`).
pub fn unprepared_commit(st: &Statement<TxHashSet>, value: TxHashSet) -> Statement<TxHashSet> {
    let counter = match &st.pledge {
        Pledge::Prepare(p) => p.ballot.counter.max(1),
        Pledge::Confirm(c) => c.ballot.counter.max(1),
        Pledge::Externalize(e) => e.commit.counter.max(1),
        Pledge::Nominate(_) => 1,
    };
    Statement {
        pledge: Pledge::Confirm(Confirm {
            ballot: Ballot::new(counter, value),
            n_prepared: counter,
            n_commit: 1,
            n_h: counter,
        }),
        ..st.clone()
    }
}

/// The phase of a statement, for lie counters.
pub fn phase(st: &Statement<TxHashSet>) -> &'static str {
    match st.pledge {
        Pledge::Nominate(_) => "nominate",
        Pledge::Prepare(_) => "prepare",
        Pledge::Confirm(_) => "confirm",
        Pledge::Externalize(_) => "externalize",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcnode_scp::{Nominate, Prepare};
    use mcnode_types::NodeId;

    fn val(bytes: &[u8]) -> TxHashSet {
        TxHashSet::from_hashes(bytes.iter().map(|b| Hash32([*b; 32])))
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
        let alt = st.map_values(alternative_value);
        assert_ne!(alt, st);
        alt.pledge.check_sanity().unwrap();
        let fake = st.map_values(fake_value);
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
        nom.map_values(fake_value).pledge.check_sanity().unwrap();
        let mut rng = SimRng::new(1);
        let bytes = mcnode_types::Encode::to_canonical_bytes(&st);
        let g = garbage(&bytes, &mut rng);
        assert_eq!(g.len(), 3);
        assert!(g[0].len() < bytes.len());
    }

    #[test]
    fn combinations_differ_and_unprepared_commits_are_sane() {
        let hs: Vec<Hash32> = (1..=5u8).map(|b| Hash32([b; 32])).collect();
        let [a, b] = split_combinations(&hs).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len() + b.len(), 5);
        assert!(split_combinations(&hs[..1]).is_none());
        let st = Statement {
            node_id: NodeId([1; 32]),
            slot: 3,
            quorum_set_hash: Hash32::ZERO,
            pledge: Pledge::Prepare(Prepare {
                ballot: Ballot::new(4, val(&[1])),
                prepared: None,
                prepared_prime: None,
                n_c: 0,
                n_h: 0,
            }),
        };
        let c = unprepared_commit(&st, a.clone());
        c.pledge.check_sanity().unwrap();
        assert_eq!(phase(&c), "confirm");
        let Pledge::Confirm(c) = c.pledge else { unreachable!() };
        assert_eq!((c.ballot.counter, c.n_commit, c.n_h), (4, 1, 4));
        assert_eq!(c.ballot.value, a);
    }
}
