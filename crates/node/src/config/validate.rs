//! Semantic rules of a configuration the schema accepted. Pure: the configuration and this
//! node's id in, every problem with its field path out.
//!
//! Quorum sets: structure by [`QuorumSet::validate`] (stellar-core's `QuorumSetUtils.cpp`
//! limits), safety by [`QuorumSet::sanity_warnings`] (stellar-core refuses such a local set
//! unless `UNSAFE_QUORUM`; so do we unless `consensus.unsafe_quorum`); every validator must be
//! a configured peer or this node (MobileCoin's network loader refuses unknown members).

use std::collections::{BTreeSet, HashSet};
use std::net::SocketAddr;

use mcnode_attest::evidence::MAX_CHAIN_ID_LEN;
use mcnode_scp::quorum_set::MAX_NESTING_DEPTH;
use mcnode_scp::{MAX_TX_HASHES, QuorumSet, QuorumSetError, QuorumSetWarning};
use mcnode_types::NodeId;

use super::error::Problem;
use super::overrides::Step;
use super::schema::{NodeConfig, QuorumSetConfig};

/// Largest block interval accepted (one hour; more is almost surely a unit mistake).
pub const MAX_BLOCK_INTERVAL_MS: u64 = 3_600_000;
/// Fastest test clock (`consensus.clock_rate_percent`): ten times real time.
pub const MAX_CLOCK_RATE_PERCENT: u64 = 1000;

type Found = Vec<(Vec<Step>, Problem)>;

fn key(k: &str) -> Step {
    Step::Key(k.to_string())
}

fn at(path: &[&str]) -> Vec<Step> {
    path.iter().map(|k| key(k)).collect()
}

/// Every problem of `c`.
pub(super) fn problems(c: &NodeConfig, own_id: Option<NodeId>) -> Found {
    let mut out = Found::new();
    let len = c.chain_id.len();
    let max = MAX_CHAIN_ID_LEN as usize;
    if len == 0 || len > max {
        out.push((at(&["chain_id"]), Problem::ChainIdLength { len, max }));
    }
    listen(c, &mut out);
    let peers = peers(c, own_id, &mut out);
    quorum_set(c, own_id, &peers, &mut out);
    fees(c, &mut out);
    numbers(c, &mut out);
    let a = &c.enclave.attestation;
    if a.trusted_measurements.is_some() && !a.measurements.is_empty() {
        out.push((at(&["enclave", "attestation", "measurements"]), Problem::MeasurementsTwice));
    }
    out
}

fn clash(a: &SocketAddr, b: &SocketAddr) -> bool {
    a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn listen(c: &NodeConfig, out: &mut Found) {
    let l = [
        ("peer_listen", c.peer_listen),
        ("client_listen", c.client_listen),
        ("admin_listen", c.admin_listen),
    ];
    for (i, (name, addr)) in l.iter().enumerate() {
        if let Some((other, _)) = l[..i].iter().find(|(_, o)| clash(o, addr)) {
            out.push((at(&[name]), Problem::ListenClash { other }));
        }
    }
}

fn peers(c: &NodeConfig, own_id: Option<NodeId>, out: &mut Found) -> HashSet<NodeId> {
    let mut seen = HashSet::new();
    for (i, p) in c.peers.iter().enumerate() {
        let path = |f: &str| vec![key("peers"), Step::Index(i), key(f)];
        if Some(p.id) == own_id {
            out.push((path("id"), Problem::PeerIsSelf { node: p.id }));
        } else if !seen.insert(p.id) {
            out.push((path("id"), Problem::DuplicatePeer { node: p.id }));
        }
        // HOST:PORT, not a URL: no scheme or path, no spaces.
        let ok = p.address.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty()
                && !host.contains(['/', ' ', '\t'])
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !ok {
            out.push((path("address"), Problem::PeerAddress { address: p.address.clone() }));
        }
    }
    seen
}

/// Path of the first set (pre-order, validators before inner sets, as
/// [`QuorumSet::validate`] walks) that breaks a structural rule.
fn first_bad(
    q: &QuorumSetConfig,
    depth: u32,
    seen: &mut BTreeSet<NodeId>,
    path: &mut Vec<Step>,
) -> bool {
    if depth > MAX_NESTING_DEPTH {
        return true;
    }
    if q.threshold == 0 || q.threshold as usize > q.validators.len() + q.inner.len() {
        path.push(key("threshold"));
        return true;
    }
    for (i, v) in q.validators.iter().enumerate() {
        if !seen.insert(*v) {
            path.extend([key("validators"), Step::Index(i)]);
            return true;
        }
    }
    for (i, inner) in q.inner.iter().enumerate() {
        path.extend([key("inner"), Step::Index(i)]);
        if first_bad(inner, depth + 1, seen, path) {
            return true;
        }
        path.truncate(path.len() - 2);
    }
    false
}

/// Each set with its path, pre-order.
fn sets<'a>(
    q: &'a QuorumSetConfig,
    path: Vec<Step>,
    out: &mut Vec<(Vec<Step>, &'a QuorumSetConfig)>,
) {
    out.push((path.clone(), q));
    for (i, inner) in q.inner.iter().enumerate() {
        let mut p = path.clone();
        p.extend([key("inner"), Step::Index(i)]);
        sets(inner, p, out);
    }
}

fn quorum_set(c: &NodeConfig, own_id: Option<NodeId>, peers: &HashSet<NodeId>, out: &mut Found) {
    let root = at(&["quorum_set"]);
    let q: QuorumSet = c.quorum_set.to_quorum_set();
    if let Err(e) = q.validate() {
        let mut path = root.clone();
        if !matches!(e, QuorumSetError::ValidatorCount { .. }) {
            first_bad(&c.quorum_set, 0, &mut BTreeSet::new(), &mut path);
        }
        out.push((path, Problem::QuorumSet(e)));
        return;
    }
    if !c.consensus.unsafe_quorum {
        let mut all = Vec::new();
        sets(&c.quorum_set, root.clone(), &mut all);
        for (path, s) in all {
            let top = path.len() == 1;
            for w in s.to_quorum_set().sanity_warnings() {
                let w = match w {
                    QuorumSetWarning::BelowMajority { depth: 0, threshold, entries } => {
                        let depth = (path.len() as u32 - 1) / 2;
                        QuorumSetWarning::BelowMajority { depth, threshold, entries }
                    }
                    w @ QuorumSetWarning::TopBelowTwoThirds { .. } if top => w,
                    _ => continue,
                };
                let mut p = path.clone();
                p.push(key("threshold"));
                out.push((p, Problem::UnsafeQuorumSet(w)));
            }
        }
    }
    let mut all = Vec::new();
    sets(&c.quorum_set, root, &mut all);
    for (path, s) in all {
        for (i, v) in s.validators.iter().enumerate() {
            if Some(*v) != own_id && !peers.contains(v) {
                let mut p = path.clone();
                p.extend([key("validators"), Step::Index(i)]);
                out.push((p, Problem::ValidatorNotAPeer { node: *v }));
            }
        }
    }
}

fn fees(c: &NodeConfig, out: &mut Found) {
    if c.fees.minimum.is_empty() {
        out.push((at(&["fees", "minimum"]), Problem::NoMinimumFees));
    }
    for (k, v) in &c.fees.minimum {
        let path = at(&["fees", "minimum", k]);
        if k.parse::<u64>().is_err() {
            out.push((path, Problem::BadTokenId { key: k.clone() }));
        } else if *v == 0 {
            out.push((path, Problem::ZeroFee));
        }
    }
}

fn numbers(c: &NodeConfig, out: &mut Found) {
    let k = &c.consensus;
    if k.block_interval_ms > MAX_BLOCK_INTERVAL_MS {
        let p = Problem::TooLarge { value: k.block_interval_ms, max: MAX_BLOCK_INTERVAL_MS };
        out.push((at(&["consensus", "block_interval_ms"]), p));
    }
    if k.clock_rate_percent == 0 {
        out.push((at(&["consensus", "clock_rate_percent"]), Problem::Zero));
    } else if k.clock_rate_percent > MAX_CLOCK_RATE_PERCENT {
        let p = Problem::TooLarge { value: k.clock_rate_percent, max: MAX_CLOCK_RATE_PERCENT };
        out.push((at(&["consensus", "clock_rate_percent"]), p));
    }
    for (name, v) in [
        ("nomination_timeout_base_ms", k.nomination_timeout_base_ms),
        ("ballot_timeout_base_ms", k.ballot_timeout_base_ms),
    ] {
        if v == 0 {
            out.push((at(&["consensus", name]), Problem::Zero));
        } else if k.max_timeout_ms < v {
            let p =
                Problem::TimeoutBelowBase { value: k.max_timeout_ms, other: name, other_value: v };
            out.push((at(&["consensus", "max_timeout_ms"]), p));
        }
    }
    if c.pool.pending_limit == 0 {
        out.push((at(&["pool", "pending_limit"]), Problem::Zero));
    }
    if let Some(b) = &c.byzantine {
        let max = super::byzantine::MAX_GARBAGE_RATE_PER_SEC;
        if b.rate_per_sec == 0 {
            out.push((at(&["byzantine", "rate_per_sec"]), Problem::Zero));
        } else if b.rate_per_sec > max {
            let p = Problem::TooLarge { value: b.rate_per_sec.into(), max: max.into() };
            out.push((at(&["byzantine", "rate_per_sec"]), p));
        }
    }
    if c.pool.check_linger_ms > super::schema::MAX_CHECK_LINGER_MS {
        let max = super::schema::MAX_CHECK_LINGER_MS;
        let p = Problem::TooLarge { value: c.pool.check_linger_ms, max };
        out.push((at(&["pool", "check_linger_ms"]), p));
    }
    let m = c.pool.max_values_per_slot;
    if m == 0 {
        out.push((at(&["pool", "max_values_per_slot"]), Problem::Zero));
    } else if m > MAX_TX_HASHES {
        let p = Problem::TooLarge { value: u64::from(m), max: u64::from(MAX_TX_HASHES) };
        out.push((at(&["pool", "max_values_per_slot"]), p));
    }
}
