//! One fault run: a devnet on its hosts, payments while each fault of a plan holds, the
//! fault ended, liveness checked (a fresh payment in every honest ledger within
//! [`Options::liveness`]), and at the end every invariant of [`crate::invariants`].
//!
//! The phase of a fault: apply it; submit two payments through random running nodes (their
//! results recorded, refusals allowed: a node cut off may say `NotServing`); hold it for
//! [`Options::hold`]; end it (rules cleared, links unshaped, killed nodes restarted, clocks
//! restored); then the liveness payment. Any node process that ended on its own fails the run
//! at once.

use std::path::Path;
use std::time::{Duration, Instant};

use mcnode_api::pb::common::v1::ProposeTxResult;
use mcnode_sim::rng::SimRng;

use crate::invariants::{self, Violation};
use crate::network::{Net, NetError};
use crate::nft::Rule;
use crate::observe::{self, BlockSummary, ObserveError};
use crate::payments::{PayError, Payer, Payment};
use crate::plan::Fault;
use crate::proxy::LinkParams;

/// How a run is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// Nodes (4: each needs two of its three peers).
    pub nodes: usize,
    /// Demo wallets (three payments each).
    pub wallets: usize,
    /// How long each fault holds.
    pub hold: Duration,
    /// The liveness bound: how long after a fault ends a new payment may take to reach every
    /// honest ledger (reconnect backoff, catch-up and a block interval included).
    pub liveness: Duration,
    /// A Byzantine node and its behaviour (byz14's `[byzantine] behaviour`), if any.
    pub byzantine: Option<(usize, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            nodes: 4,
            wallets: 10,
            hold: Duration::from_secs(4),
            liveness: Duration::from_secs(60),
            byzantine: None,
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Setting up or driving the network.
    #[error(transparent)]
    Net(#[from] NetError),
    /// Payments could not be made at all.
    #[error(transparent)]
    Pay(#[from] PayError),
    /// A node could not be read when it had to answer.
    #[error(transparent)]
    Observe(#[from] ObserveError),
    /// An invariant failed (during phase `phase`, or after the run: `None`).
    #[error("invariant violated{}: {violation}", phase.as_ref().map(|p| format!(" in phase {p}")).unwrap_or_default())]
    Invariant {
        /// The phase (its number and fault).
        phase: Option<String>,
        /// What failed.
        violation: Violation,
    },
}

/// What a successful run measured.
#[derive(Debug, Default)]
pub struct Report {
    /// Per phase: the fault and how long liveness took to return after it ended.
    pub phases: Vec<(Fault, Duration)>,
    /// Payments built and submitted (each spends its own origin output).
    pub submitted: usize,
    /// How many a node accepted (`Ok`) at their first or a later attempt.
    pub accepted: usize,
    /// Payments in every honest ledger at the end.
    pub included: usize,
    /// Final height of the honest nodes.
    pub height: u64,
    /// SIGKILLs sent.
    pub kills: u32,
}

struct Runner {
    net: Net,
    payer: Payer,
    rng: SimRng,
    opts: Options,
    honest: Vec<usize>,
    ours: Vec<String>,
    report: Report,
    phase: Option<String>,
}

/// Runs `plan` on a fresh devnet in `dir` with the `mcnode` binary `mcnode`.
pub fn run(
    mcnode: &Path,
    dir: &Path,
    seed: u64,
    plan: &[Fault],
    opts: &Options,
) -> Result<Report, RunError> {
    let mut net = Net::create(mcnode, dir, opts.nodes, opts.wallets, seed)?;
    let payer = Payer::new(dir, opts.wallets, &net.nodes[0].config)?;
    let mut honest: Vec<usize> = (0..opts.nodes).collect();
    if let Some((b, behaviour)) = &opts.byzantine {
        net.append_config(*b, &format!("[byzantine]\nbehaviour = \"{behaviour}\"\n"))?;
        honest.retain(|i| i != b);
    }
    for i in 0..opts.nodes {
        net.start(i, &[])?;
    }
    let mut r = Runner {
        net,
        payer,
        rng: SimRng::new(seed ^ 0x5eed),
        opts: opts.clone(),
        honest,
        ours: Vec::new(),
        report: Report::default(),
        phase: None,
    };
    r.phase = Some("start".into());
    r.live(Instant::now())?;
    for (k, f) in plan.iter().enumerate() {
        r.phase = Some(format!("{k} ({f:?})"));
        let ended = r.apply_and_end(f)?;
        let took = r.live(ended)?;
        r.report.phases.push((f.clone(), took));
    }
    r.phase = None;
    r.finish()
}

impl Runner {
    fn violation(&self, violation: Violation) -> RunError {
        RunError::Invariant { phase: self.phase.clone(), violation }
    }

    /// Fails if a started node's process ended on its own.
    fn none_died(&mut self) -> Result<(), RunError> {
        for i in 0..self.opts.nodes {
            if let Some(s) = self.net.exited(i) {
                return Err(self.violation(Violation::Died { node: i, status: s.to_string() }));
            }
        }
        Ok(())
    }

    /// Proposes `again` (a payment refused earlier) or a new payment to a running node (`via`,
    /// or random): the payment and whether it is now in a pool or a ledger (`Ok`, or
    /// `KeyImageSpent`: already included).
    fn pay(
        &mut self,
        via: Option<usize>,
        again: Option<Payment>,
    ) -> Result<(Payment, bool), RunError> {
        let seed = self.rng.next_u64();
        let p = match again {
            Some(p) => p,
            None => {
                let p = self.payer.next(seed)?;
                self.ours.push(p.key_image.clone());
                self.report.submitted += 1;
                p
            }
        };
        let running: Vec<usize> =
            self.honest.iter().copied().filter(|&i| self.net.is_started(i)).collect();
        let i = match via {
            Some(i) => i,
            None if running.is_empty() => self.honest[0],
            None => running[(self.rng.next_u64() % running.len() as u64) as usize],
        };
        let url = self.net.nodes[i].client_url();
        let res = self.net.rt.block_on(self.payer.submit(&url, &p, seed));
        let ok = matches!(res, Ok(ProposeTxResult::Ok | ProposeTxResult::KeyImageSpent));
        if matches!(res, Ok(ProposeTxResult::Ok)) {
            self.report.accepted += 1;
        }
        Ok((p, ok))
    }

    /// Liveness: a payment accepted by some honest node reaches every honest ledger within
    /// the bound, counted from `since` (when the faults ended).
    fn live(&mut self, since: Instant) -> Result<Duration, RunError> {
        let bound = self.opts.liveness;
        let mut pending: Option<Payment> = None;
        let mut refused: Option<Payment> = None;
        loop {
            self.none_died()?;
            if since.elapsed() > bound {
                let what = match &pending {
                    None => "no honest node accepted a payment".to_owned(),
                    Some(p) => format!("payment {} in every honest ledger", p.key_image),
                };
                return Err(self.violation(Violation::NotLive { what, waited: bound }));
            }
            match &pending {
                None => {
                    let (p, ok) = self.pay(None, refused.take())?;
                    if ok {
                        pending = Some(p);
                    } else {
                        refused = Some(p);
                        std::thread::sleep(Duration::from_millis(500));
                    }
                }
                Some(p) => {
                    let everywhere = self.honest.iter().all(|&i| {
                        observe::blocks(self.net.nodes[i].admin())
                            .is_ok_and(|c| c.iter().any(|b| b.key_images.contains(&p.key_image)))
                    });
                    if everywhere {
                        return Ok(since.elapsed());
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
            }
        }
    }

    fn other_than(&mut self, node: usize) -> usize {
        let others: Vec<usize> = self.honest.iter().copied().filter(|&i| i != node).collect();
        others[(self.rng.next_u64() % others.len() as u64) as usize]
    }

    /// Applies `f`, makes payments while it holds, ends it: the moment it ended.
    fn apply_and_end(&mut self, f: &Fault) -> Result<Instant, RunError> {
        let n = self.opts.nodes;
        let t0 = Instant::now();
        let mut restart: Vec<(usize, Vec<String>)> = Vec::new();
        match f {
            Fault::Partition { side } => {
                for &a in side {
                    for b in (0..n).filter(|b| !side.contains(b)) {
                        self.net.cut(a, b)?;
                        self.net.cut(b, a)?;
                    }
                }
            }
            Fault::OneWayCut { from, to } => {
                for &b in to {
                    self.net.cut(*from, b)?;
                }
            }
            Fault::Loss { percent } => {
                let keep = vec![crate::network::CLIENT_PORT, crate::network::ADMIN_PORT];
                for i in 0..n {
                    self.net
                        .set_rules(i, vec![Rule::Loss { percent: *percent, keep: keep.clone() }])?;
                }
            }
            Fault::Delay { delay_ms, jitter_ms } => {
                self.net.shape_all(LinkParams { delay_ms: *delay_ms, jitter_ms: *jitter_ms });
            }
            Fault::KillDuringAppend { node, down_ms } => {
                let watch = self.other_than(*node);
                let admin = self.net.nodes[watch].admin();
                let h0 = observe::height(admin).unwrap_or(0);
                self.pay(Some(watch), None)?;
                let t = Instant::now();
                // Poll as fast as the admin API answers; kill at the first change.
                while t.elapsed() < Duration::from_secs(30) {
                    if observe::height(admin).is_some_and(|h| h > h0) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                self.net.kill(*node);
                self.report.kills += 1;
                std::thread::sleep(Duration::from_millis(*down_ms));
                restart.push((*node, Vec::new()));
            }
            Fault::KillAtRandom { node, after_ms, down_ms } => {
                self.pay(None, None)?;
                std::thread::sleep(Duration::from_millis(*after_ms));
                self.net.kill(*node);
                self.report.kills += 1;
                std::thread::sleep(Duration::from_millis(*down_ms));
                restart.push((*node, Vec::new()));
            }
            Fault::Clock { node, percent } => {
                self.stop_cleanly(*node)?;
                self.net.start(*node, &[format!("consensus.clock_rate_percent={percent}")])?;
            }
        }
        // Restarted victims come back before the payments of the phase; other faults hold.
        for (i, sets) in restart.drain(..) {
            self.net.start(i, &sets)?;
        }
        for _ in 0..2 {
            self.none_died()?;
            self.pay(None, None)?;
        }
        let left = self.opts.hold.saturating_sub(t0.elapsed());
        std::thread::sleep(left);
        self.none_died()?;
        self.net.heal()?;
        if let Fault::Clock { node, .. } = f {
            self.stop_cleanly(*node)?;
            self.net.start(*node, &[])?;
        }
        Ok(Instant::now())
    }

    /// SIGTERM node `i`: it must exit 0 within 30 s.
    fn stop_cleanly(&mut self, i: usize) -> Result<(), RunError> {
        match self.net.terminate(i, Duration::from_secs(30)) {
            Some(s) if s.success() => Ok(()),
            other => Err(self.violation(Violation::Died {
                node: i,
                status: format!("SIGTERM gave {other:?}, not a clean exit 0"),
            })),
        }
    }

    /// Heights settle (every honest node at the same height for a moment), then agreement,
    /// inclusion, a clean stop and `ledger verify`.
    fn finish(mut self) -> Result<Report, RunError> {
        self.none_died()?;
        let t = Instant::now();
        let chains: Vec<(usize, Vec<BlockSummary>)> = loop {
            let mut chains = Vec::new();
            let mut unread = None;
            for &i in &self.honest {
                match observe::blocks(self.net.nodes[i].admin()) {
                    Ok(c) => chains.push((i, c)),
                    Err(e) => unread = Some(e),
                }
            }
            let settled =
                unread.is_none() && chains.iter().all(|(_, c)| c.len() == chains[0].1.len());
            if settled {
                break chains;
            }
            if t.elapsed() > self.opts.liveness {
                match unread {
                    Some(e) => return Err(e.into()),
                    None => break chains,
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        invariants::agreement(&chains).map_err(|v| self.violation(v))?;
        let acked = invariants::acknowledged(&chains, &self.ours);
        invariants::included(&chains, &acked).map_err(|v| self.violation(v))?;
        self.report.included = acked.len();
        self.report.height = chains.iter().map(|(_, c)| c.len() as u64).min().unwrap_or(0);
        for i in 0..self.opts.nodes {
            if self.honest.contains(&i) {
                self.stop_cleanly(i)?;
            } else {
                self.net.terminate(i, Duration::from_secs(10));
            }
        }
        for &i in &self.honest {
            let ledger = self.net.nodes[i].dir.join("ledger");
            invariants::ledger_verify(&self.net.mcnode, i, &ledger)
                .map_err(|v| self.violation(v))?;
        }
        Ok(self.report)
    }
}
