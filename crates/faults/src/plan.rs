//! Fault plans: which faults a run applies, in which order, with which parameters, all drawn
//! from one seed (`mcnode_sim::rng::SimRng`), so a seed reproduces the plan.

use mcnode_sim::rng::SimRng;

/// One fault, applied for a phase of the run and then ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `side` and the other nodes cannot reach each other (both directions cut).
    Partition {
        /// One side.
        side: Vec<usize>,
    },
    /// `from`'s messages to each of `to` are dropped; theirs to `from` still arrive.
    OneWayCut {
        /// The node whose outgoing links are cut.
        from: usize,
        /// The peers it cannot reach.
        to: Vec<usize>,
    },
    /// `percent` % of peer packets dropped, on every node.
    Loss {
        /// 1 to 100.
        percent: u8,
    },
    /// Every link delays by `delay_ms` plus up to `jitter_ms`.
    Delay {
        /// Fixed delay.
        delay_ms: u64,
        /// Extra random delay.
        jitter_ms: u64,
    },
    /// SIGKILL `node` right when another node's height changes (that block is then being
    /// formed and appended on `node` too), restart it after `down_ms`.
    KillDuringAppend {
        /// The victim.
        node: usize,
        /// How long it stays down.
        down_ms: u64,
    },
    /// SIGKILL `node` `after_ms` after the phase starts, restart it after `down_ms`.
    KillAtRandom {
        /// The victim.
        node: usize,
        /// When.
        after_ms: u64,
        /// How long it stays down.
        down_ms: u64,
    },
    /// Restart `node` with its consensus clock at `percent` % of real time for the phase.
    Clock {
        /// The node.
        node: usize,
        /// 10 to 1000.
        percent: u32,
    },
}

impl Fault {
    /// The fault's kind, for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Partition { .. } => "partition",
            Fault::OneWayCut { .. } => "one-way cut",
            Fault::Loss { .. } => "loss",
            Fault::Delay { .. } => "delay+jitter",
            Fault::KillDuringAppend { .. } => "kill during append",
            Fault::KillAtRandom { .. } => "kill at random",
            Fault::Clock { .. } => "clock skew",
        }
    }
}

fn pick(rng: &mut SimRng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// A fault of kind `k` (0..7) with parameters drawn from `rng`, for `n` nodes.
fn draw(rng: &mut SimRng, k: u64, n: usize) -> Fault {
    match k {
        0 => {
            // A minority (one node) or, one time in three, an even split (no quorum anywhere).
            let size = if n >= 4 && rng.next_u64().is_multiple_of(3) { n / 2 } else { 1 };
            let mut all: Vec<usize> = (0..n).collect();
            let mut side = Vec::new();
            for _ in 0..size {
                side.push(all.remove(pick(rng, all.len())));
            }
            side.sort_unstable();
            Fault::Partition { side }
        }
        1 => {
            let from = pick(rng, n);
            let mut to: Vec<usize> = (0..n).filter(|&b| b != from).collect();
            to.truncate(1 + pick(rng, n - 1));
            Fault::OneWayCut { from, to }
        }
        2 => Fault::Loss { percent: 5 + (rng.next_u64() % 21) as u8 },
        3 => Fault::Delay { delay_ms: 50 + rng.next_u64() % 250, jitter_ms: rng.next_u64() % 200 },
        4 => Fault::KillDuringAppend { node: pick(rng, n), down_ms: 200 + rng.next_u64() % 2000 },
        5 => Fault::KillAtRandom {
            node: pick(rng, n),
            after_ms: rng.next_u64() % 3000,
            down_ms: 200 + rng.next_u64() % 3000,
        },
        _ => Fault::Clock {
            node: pick(rng, n),
            percent: if rng.next_u64().is_multiple_of(2) {
                25 + (rng.next_u64() % 50) as u32
            } else {
                200 + (rng.next_u64() % 300) as u32
            },
        },
    }
}

/// Number of fault kinds [`draw`] knows.
const KINDS: u64 = 7;

/// Each fault kind once, in a seeded order, with seeded parameters (the CI run).
pub fn each_kind_once(seed: u64, n: usize) -> Vec<Fault> {
    let mut rng = SimRng::new(seed);
    let mut kinds: Vec<u64> = (0..KINDS).collect();
    // Fisher-Yates with the seeded generator.
    for i in (1..kinds.len()).rev() {
        kinds.swap(i, pick(&mut rng, i + 1));
    }
    kinds.into_iter().map(|k| draw(&mut rng, k, n)).collect()
}

/// `len` faults of seeded kinds and parameters (the full suite).
pub fn random(seed: u64, n: usize, len: usize) -> Vec<Fault> {
    let mut rng = SimRng::new(seed);
    (0..len)
        .map(|_| {
            let k = rng.next_u64() % KINDS;
            draw(&mut rng, k, n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_reproduces_its_plan_and_the_ci_plan_has_every_kind() {
        assert_eq!(each_kind_once(7, 4), each_kind_once(7, 4));
        assert_eq!(random(9, 4, 12), random(9, 4, 12));
        let mut kinds: Vec<&str> = each_kind_once(7, 4).iter().map(Fault::kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), KINDS as usize);
        for f in random(3, 4, 200) {
            if let Fault::Partition { side } = &f {
                assert!(!side.is_empty() && side.len() < 4, "{f:?}");
            }
            if let Fault::OneWayCut { from, to } = &f {
                assert!(!to.contains(from) && !to.is_empty(), "{f:?}");
            }
        }
    }
}
