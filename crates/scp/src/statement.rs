//! SCP statements (draft-mazieres-dinrg-scp §3: `SCPNominate`, `SCPPrepare`, `SCPCommit`,
//! `SCPExternalize`), their canonical encoding, the sanity checks every received statement must
//! pass, and the "newer statement" order that decides whether a statement replaces the sender's
//! previous one.
//!
//! Encoding (canonical, see `mcnode_types`): `node_id ‖ slot ‖ quorum_set_hash ‖ tag:u8 ‖ body`
//! with tags NOMINATE=0, PREPARE=1, CONFIRM=2, EXTERNALIZE=3. The node layer signs
//! `(chain id, slot, previous block id, statement bytes)`; this crate only sees statements whose
//! sender has already been authenticated.

use std::cmp::Ordering;

use mcnode_types::{Decode, DecodeError, Encode, Hash32, NodeId, Reader, SlotIndex};

use crate::Value;

/// Most values one NOMINATE statement may carry in each of `votes` and `accepted`.
pub const MAX_NOMINATION_VALUES: u32 = 4096;

/// A ballot `<counter, value>` (paper §6.2). Ballots order by counter, then value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot<V> {
    /// The round counter, `>= 1` in any statement.
    pub counter: u32,
    /// The value the ballot would commit.
    pub value: V,
}

impl<V: Value> Ballot<V> {
    /// A ballot.
    pub fn new(counter: u32, value: V) -> Self {
        Ballot { counter, value }
    }

    /// Same value (the paper's `b ~ b'`).
    pub fn compatible(&self, other: &Ballot<V>) -> bool {
        self.value == other.value
    }

    /// `self <= other` and same value (paper: `b ≲ b'`).
    pub fn less_and_compatible(&self, other: &Ballot<V>) -> bool {
        self <= other && self.compatible(other)
    }

    /// `self <= other` and different values (paper: `b ⋦ b'`).
    pub fn less_and_incompatible(&self, other: &Ballot<V>) -> bool {
        self <= other && !self.compatible(other)
    }
}

/// Nomination: values voted for and accepted (draft §3.1 `SCPNominate`). Both lists are sorted
/// with no duplicates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nominate<V> {
    /// Values the sender votes to nominate.
    pub votes: Vec<V>,
    /// Values the sender accepted as nominated.
    pub accepted: Vec<V>,
}

/// PREPARE (draft §3.3 `SCPPrepare`, stellar-core's form with `p'` instead of `aCounter`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prepare<V> {
    /// The current ballot `b`.
    pub ballot: Ballot<V>,
    /// `p`: highest ballot accepted as prepared.
    pub prepared: Option<Ballot<V>>,
    /// `p'`: highest ballot accepted as prepared that is incompatible with `p`.
    pub prepared_prime: Option<Ballot<V>>,
    /// `c.counter` (0 = none): lowest ballot the sender votes to commit.
    pub n_c: u32,
    /// `h.counter` (0 = none): highest ballot confirmed prepared.
    pub n_h: u32,
}

/// CONFIRM, the draft's COMMIT (draft §3.4 `SCPCommit`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Confirm<V> {
    /// The current ballot `b`.
    pub ballot: Ballot<V>,
    /// `p.counter`.
    pub n_prepared: u32,
    /// `c.counter`: lowest ballot accepted committed.
    pub n_commit: u32,
    /// `h.counter`: highest ballot accepted committed.
    pub n_h: u32,
}

/// EXTERNALIZE (draft §3.5 `SCPExternalize`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Externalize<V> {
    /// `c`: lowest ballot confirmed committed.
    pub commit: Ballot<V>,
    /// `h.counter`: highest ballot confirmed committed.
    pub n_h: u32,
}

/// What a statement says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pledge<V> {
    /// Nomination protocol.
    Nominate(Nominate<V>),
    /// Ballot protocol, prepare phase.
    Prepare(Prepare<V>),
    /// Ballot protocol, confirm phase.
    Confirm(Confirm<V>),
    /// Ballot protocol, externalized.
    Externalize(Externalize<V>),
}

/// One node's statement about one slot (draft §3 `SCPStatement`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Statement<V> {
    /// Who says it (already authenticated by the caller).
    pub node_id: NodeId,
    /// Which slot it is about.
    pub slot: SlotIndex,
    /// Hash of the sender's quorum set ([`crate::QuorumSet::hash`]).
    pub quorum_set_hash: Hash32,
    /// What it says.
    pub pledge: Pledge<V>,
}

/// Why a well-formed statement is rejected by the sanity checks (stellar-core
/// `BallotProtocol::isStatementSane`, `NominationProtocol::isSane`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SanityError {
    /// NOMINATE with neither votes nor accepted values.
    #[error("nomination carries no values")]
    EmptyNomination,
    /// NOMINATE lists not strictly increasing (unsorted or duplicated).
    #[error("nomination values are not sorted and unique")]
    UnsortedNomination,
    /// A ballot counter of 0 where a ballot is required.
    #[error("ballot counter is 0")]
    ZeroCounter,
    /// PREPARE with `p'` present but `p` absent, or `p'` not below and incompatible with `p`.
    #[error("p' must be below and incompatible with p")]
    BadPreparedPrime,
    /// PREPARE with `h` above `p.counter`.
    #[error("h counter {n_h} above prepared counter {n_p}")]
    HighAbovePrepared {
        /// `h.counter`.
        n_h: u32,
        /// `p.counter` (0 if no `p`).
        n_p: u32,
    },
    /// PREPARE with `c != 0` not satisfying `c <= h <= b.counter`.
    #[error("commit range c={n_c} h={n_h} not within ballot counter {n_b}")]
    BadCommitRange {
        /// `c.counter`.
        n_c: u32,
        /// `h.counter`.
        n_h: u32,
        /// `b.counter`.
        n_b: u32,
    },
    /// CONFIRM with `h > b.counter` or `c > h`, or `c == 0`.
    #[error("confirm range c={n_c} h={n_h} invalid for ballot counter {n_b}")]
    BadConfirmRange {
        /// `c.counter`.
        n_c: u32,
        /// `h.counter`.
        n_h: u32,
        /// `b.counter`.
        n_b: u32,
    },
    /// EXTERNALIZE with `h < c.counter`.
    #[error("externalize h={n_h} below commit counter {n_c}")]
    BadExternalizeRange {
        /// `c.counter`.
        n_c: u32,
        /// `h.counter`.
        n_h: u32,
    },
}

impl<V: Value> Pledge<V> {
    /// Order of statement kinds in the "newer" relation: PREPARE < CONFIRM < EXTERNALIZE.
    fn ballot_rank(&self) -> u8 {
        match self {
            Pledge::Nominate(_) => 0,
            Pledge::Prepare(_) => 1,
            Pledge::Confirm(_) => 2,
            Pledge::Externalize(_) => 3,
        }
    }

    /// Whether this is a ballot-protocol pledge (not NOMINATE).
    pub fn is_ballot(&self) -> bool {
        !matches!(self, Pledge::Nominate(_))
    }

    /// The sanity checks of the draft and stellar-core (see [`SanityError`]).
    pub fn check_sanity(&self) -> Result<(), SanityError> {
        match self {
            Pledge::Nominate(n) => {
                if n.votes.is_empty() && n.accepted.is_empty() {
                    return Err(SanityError::EmptyNomination);
                }
                if !strictly_sorted(&n.votes) || !strictly_sorted(&n.accepted) {
                    return Err(SanityError::UnsortedNomination);
                }
                Ok(())
            }
            Pledge::Prepare(p) => {
                if p.ballot.counter == 0 {
                    return Err(SanityError::ZeroCounter);
                }
                if let Some(pp) = &p.prepared_prime {
                    match &p.prepared {
                        Some(pr) if pp.less_and_incompatible(pr) => {}
                        _ => return Err(SanityError::BadPreparedPrime),
                    }
                }
                let n_p = p.prepared.as_ref().map_or(0, |b| b.counter);
                if p.n_h > n_p {
                    return Err(SanityError::HighAbovePrepared { n_h: p.n_h, n_p });
                }
                if p.n_c != 0 && !(p.n_c <= p.n_h && p.n_h <= p.ballot.counter) {
                    return Err(SanityError::BadCommitRange {
                        n_c: p.n_c,
                        n_h: p.n_h,
                        n_b: p.ballot.counter,
                    });
                }
                Ok(())
            }
            Pledge::Confirm(c) => {
                if c.ballot.counter == 0 {
                    return Err(SanityError::ZeroCounter);
                }
                if c.n_h > c.ballot.counter || c.n_commit > c.n_h || c.n_commit == 0 {
                    return Err(SanityError::BadConfirmRange {
                        n_c: c.n_commit,
                        n_h: c.n_h,
                        n_b: c.ballot.counter,
                    });
                }
                Ok(())
            }
            Pledge::Externalize(e) => {
                if e.commit.counter == 0 {
                    return Err(SanityError::ZeroCounter);
                }
                if e.n_h < e.commit.counter {
                    return Err(SanityError::BadExternalizeRange {
                        n_c: e.commit.counter,
                        n_h: e.n_h,
                    });
                }
                Ok(())
            }
        }
    }

    /// Whether `self` may replace `old` as the sender's latest statement of the same protocol
    /// (stellar-core `isNewerStatement`): for nominations both sets grow (as sets) and at least
    /// one strictly; for ballots by kind PREPARE < CONFIRM < EXTERNALIZE, then within PREPARE
    /// lexicographically by `(b, p, p', h)`, within CONFIRM by `(b, p.counter, h)`; an
    /// EXTERNALIZE is never replaced. Statements of different protocols are never compared:
    /// this returns false.
    pub fn is_newer_than(&self, old: &Pledge<V>) -> bool {
        match (old, self) {
            (Pledge::Nominate(o), Pledge::Nominate(n)) => {
                let votes = subset_grows(&o.votes, &n.votes);
                let acc = subset_grows(&o.accepted, &n.accepted);
                match (votes, acc) {
                    (Some(g1), Some(g2)) => g1 || g2,
                    _ => false,
                }
            }
            (Pledge::Nominate(_), _) | (_, Pledge::Nominate(_)) => false,
            (o, n) if o.ballot_rank() != n.ballot_rank() => o.ballot_rank() < n.ballot_rank(),
            (Pledge::Prepare(o), Pledge::Prepare(n)) => {
                let ord = o
                    .ballot
                    .cmp(&n.ballot)
                    .then_with(|| o.prepared.cmp(&n.prepared))
                    .then_with(|| o.prepared_prime.cmp(&n.prepared_prime))
                    .then_with(|| o.n_h.cmp(&n.n_h));
                ord == Ordering::Less
            }
            (Pledge::Confirm(o), Pledge::Confirm(n)) => {
                let ord = o
                    .ballot
                    .cmp(&n.ballot)
                    .then_with(|| o.n_prepared.cmp(&n.n_prepared))
                    .then_with(|| o.n_h.cmp(&n.n_h));
                ord == Ordering::Less
            }
            _ => false,
        }
    }

    /// Every value the pledge mentions (for validation).
    pub fn values(&self) -> Vec<&V> {
        match self {
            Pledge::Nominate(n) => n.votes.iter().chain(n.accepted.iter()).collect(),
            Pledge::Prepare(p) => {
                let mut v = vec![&p.ballot.value];
                if let Some(b) = &p.prepared {
                    v.push(&b.value);
                }
                if let Some(b) = &p.prepared_prime {
                    v.push(&b.value);
                }
                v
            }
            Pledge::Confirm(c) => vec![&c.ballot.value],
            Pledge::Externalize(e) => vec![&e.commit.value],
        }
    }
}

/// Sorted-vector subset test: `Some(grew)` if `old ⊆ new`, `None` otherwise.
fn subset_grows<V: Ord>(old: &[V], new: &[V]) -> Option<bool> {
    let mut it = new.iter();
    'outer: for o in old {
        for n in it.by_ref() {
            match n.cmp(o) {
                Ordering::Less => continue,
                Ordering::Equal => continue 'outer,
                Ordering::Greater => return None,
            }
        }
        return None;
    }
    Some(new.len() > old.len())
}

pub(crate) fn strictly_sorted<V: Ord>(v: &[V]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

impl<V: Value> Statement<V> {
    /// Sanity checks of the pledge (see [`Pledge::check_sanity`]).
    pub fn check_sanity(&self) -> Result<(), SanityError> {
        self.pledge.check_sanity()
    }

    /// The same statement about other values: every value it names replaced by `f(value)`,
    /// nomination lists re-sorted and deduplicated so a sane statement stays sane. (Test
    /// liars, the simulator's and the node's, build conflicting statements with it.)
    pub fn map_values(&self, f: impl Fn(&V) -> V) -> Statement<V> {
        let mut out = self.clone();
        let list = |l: &[V]| {
            let mut v: Vec<V> = l.iter().map(&f).collect();
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
                for b in [&mut p.prepared, &mut p.prepared_prime].into_iter().flatten() {
                    b.value = f(&b.value);
                }
            }
            Pledge::Confirm(c) => c.ballot.value = f(&c.ballot.value),
            Pledge::Externalize(e) => e.commit.value = f(&e.commit.value),
        }
        out
    }
}

// ---- canonical encoding ----

const TAG_NOMINATE: u8 = 0;
const TAG_PREPARE: u8 = 1;
const TAG_CONFIRM: u8 = 2;
const TAG_EXTERNALIZE: u8 = 3;

impl<V: Encode> Encode for Ballot<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.counter.encode(out);
        self.value.encode(out);
    }
}

impl<V: Decode> Decode for Ballot<V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Ballot { counter: u32::decode(r)?, value: V::decode(r)? })
    }
}

impl<V: Encode> Encode for Pledge<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Pledge::Nominate(n) => {
                out.push(TAG_NOMINATE);
                n.votes.encode(out);
                n.accepted.encode(out);
            }
            Pledge::Prepare(p) => {
                out.push(TAG_PREPARE);
                p.ballot.encode(out);
                p.prepared.encode(out);
                p.prepared_prime.encode(out);
                p.n_c.encode(out);
                p.n_h.encode(out);
            }
            Pledge::Confirm(c) => {
                out.push(TAG_CONFIRM);
                c.ballot.encode(out);
                c.n_prepared.encode(out);
                c.n_commit.encode(out);
                c.n_h.encode(out);
            }
            Pledge::Externalize(e) => {
                out.push(TAG_EXTERNALIZE);
                e.commit.encode(out);
                e.n_h.encode(out);
            }
        }
    }
}

impl<V: Decode> Decode for Pledge<V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match u8::decode(r)? {
            TAG_NOMINATE => Ok(Pledge::Nominate(Nominate {
                votes: r.seq(MAX_NOMINATION_VALUES)?,
                accepted: r.seq(MAX_NOMINATION_VALUES)?,
            })),
            TAG_PREPARE => Ok(Pledge::Prepare(Prepare {
                ballot: Ballot::decode(r)?,
                prepared: Option::decode(r)?,
                prepared_prime: Option::decode(r)?,
                n_c: u32::decode(r)?,
                n_h: u32::decode(r)?,
            })),
            TAG_CONFIRM => Ok(Pledge::Confirm(Confirm {
                ballot: Ballot::decode(r)?,
                n_prepared: u32::decode(r)?,
                n_commit: u32::decode(r)?,
                n_h: u32::decode(r)?,
            })),
            TAG_EXTERNALIZE => Ok(Pledge::Externalize(Externalize {
                commit: Ballot::decode(r)?,
                n_h: u32::decode(r)?,
            })),
            tag => Err(DecodeError::InvalidTag { what: "SCP pledge", tag }),
        }
    }
}

impl<V: Encode> Encode for Statement<V> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.node_id.encode(out);
        self.slot.encode(out);
        self.quorum_set_hash.encode(out);
        self.pledge.encode(out);
    }
}

impl<V: Decode> Decode for Statement<V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Statement {
            node_id: NodeId::decode(r)?,
            slot: u64::decode(r)?,
            quorum_set_hash: Hash32::decode(r)?,
            pledge: Pledge::decode(r)?,
        })
    }
}
