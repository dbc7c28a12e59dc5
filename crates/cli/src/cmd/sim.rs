//! `mcnode sim`: runs a deterministic network simulation and explains what happened.
//!
//! Exit status: 0 every checked invariant held, 1 a safety invariant failed, 3 liveness was
//! expected and not reached by the stop time, 2 bad input.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use mcnode_sim::report::Report;
use mcnode_sim::{Overlay, SimConfig, Submit, load_scenario, load_topology};

/// Arguments of `mcnode sim`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Scenario file (JSON; see docs/sim.md).
    #[arg(required_unless_present = "topology", conflicts_with = "topology")]
    scenario: Option<PathBuf>,
    /// Quick run on a topology: a stellarbeat JSON file, or a generator
    /// (mesh:N:K, cycle:N, orgs:O:S).
    #[arg(long)]
    topology: Option<String>,
    /// Values to submit (quick run default 1000).
    #[arg(long)]
    values: Option<u64>,
    /// Most values per slot (quick run default 100).
    #[arg(long)]
    max_values_per_slot: Option<usize>,
    /// Seed of every random choice (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Print exactly one JSON object instead of the readable summary.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub fn run(args: SimArgs) -> ExitCode {
    let cfg = match build_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mcnode sim: {e}");
            return ExitCode::from(2);
        }
    };
    if !args.json {
        let mut o = String::new();
        print_header(&mut o, &cfg);
        emit(&o);
    }
    let expect_liveness = cfg.expect_liveness;
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let mut last = Instant::now();
    let report = mcnode_sim::Sim::new(cfg).run(&mut |p| {
        if show_progress && last.elapsed().as_millis() >= 200 {
            last = Instant::now();
            use std::io::Write;
            let _ = write!(
                std::io::stderr(),
                "\r  t = {:>9.3} s   slot {:>6}   values {:>8} of {:>8} externalized   ",
                p.virtual_ms as f64 / 1000.0,
                p.slots,
                p.values_externalized,
                p.values_submitted
            );
        }
    });
    if show_progress {
        use std::io::Write;
        let _ = write!(std::io::stderr(), "\r{:80}\r", "");
    }
    if args.json {
        match serde_json::to_string(&report) {
            Ok(s) => emit(&format!("{s}\n")),
            Err(e) => {
                eprintln!("mcnode sim: cannot encode the report: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        let mut o = String::new();
        print_summary(&mut o, &report);
        emit(&o);
    }
    if !report.violations.is_empty() {
        ExitCode::from(1)
    } else if expect_liveness && !report.liveness {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Appends one formatted line to a `String` (formatting into a `String` cannot fail).
macro_rules! outln {
    ($o:expr) => {{
        $o.push('\n');
    }};
    ($o:expr, $($t:tt)*) => {{
        let _ = std::fmt::Write::write_fmt($o, format_args!($($t)*));
        $o.push('\n');
    }};
}

/// Writes to stdout; a closed pipe (`mcnode sim ... | head`) is not an error worth a panic.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn build_config(args: &SimArgs) -> Result<SimConfig, mcnode_sim::ScenarioError> {
    let mut cfg = match (&args.scenario, &args.topology) {
        (Some(path), _) => load_scenario(path)?,
        (None, Some(t)) => {
            let topo = load_topology(t, std::path::Path::new("."))?;
            SimConfig::quick(topo, 1000, 100, 0)
        }
        (None, None) => {
            return Err(mcnode_sim::ScenarioError::Field {
                field: "scenario",
                reason: "give a scenario file or --topology".into(),
            });
        }
    };
    if let Some(v) = args.values {
        cfg.values = v;
    }
    if let Some(k) = args.max_values_per_slot {
        if k == 0 || k > 4096 {
            return Err(mcnode_sim::ScenarioError::Field {
                field: "max-values-per-slot",
                reason: "must be 1 to 4096".into(),
            });
        }
        cfg.max_values_per_slot = k;
    }
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    Ok(cfg)
}

fn secs(ms: u64) -> String {
    format!("{:.3} s", ms as f64 / 1000.0)
}

fn print_header(o: &mut String, cfg: &SimConfig) {
    let t = &cfg.topology;
    outln!(o, "Simulating {} validators from {} (seed {})", t.nodes.len(), t.source, cfg.seed);
    if !t.skipped.is_empty() {
        outln!(
            o,
            "  {} nodes in the file have no usable quorum set and take no part",
            t.skipped.len()
        );
    }
    let submit = match &cfg.submit {
        Submit::All => "each sent to every node".to_string(),
        Submit::One => "each sent to one random node, which relays it".to_string(),
        Submit::Nodes(n) => format!("each sent to {} chosen nodes", n.len()),
    };
    outln!(
        o,
        "  {} values at {} per second, {submit}; at most {} values per slot",
        cfg.values,
        cfg.submit_rate,
        cfg.max_values_per_slot
    );
    let overlay = match cfg.overlay {
        Overlay::Full => "every node linked to every other".to_string(),
        Overlay::Degree(d) => format!("each node linked to about {d} peers"),
    };
    outln!(
        o,
        "  links: {}-{} ms latency, {:.1}% loss, {overlay}; SCP timeouts {} ms + {} ms per round",
        cfg.latency_ms.0,
        cfg.latency_ms.1,
        cfg.drop * 100.0,
        cfg.timeout_base_ms,
        cfg.timeout_increment_ms
    );
}

fn print_summary(o: &mut String, r: &Report) {
    let d = &r.details;
    if !d.story.is_empty() {
        outln!(o, "\nWhat happened:");
        for (at, text) in &d.story {
            outln!(o, "  {:>10}  {text}", secs(*at));
        }
    }
    outln!(
        o,
        "\nResult after {} of virtual time ({} ms wall clock):",
        secs(r.virtual_ms),
        r.wall_ms
    );
    let honest: Vec<_> = d.nodes.iter().filter(|n| n.byzantine.is_none()).collect();
    let running = honest.iter().filter(|n| n.up).count();
    if r.violations.is_empty() {
        let mut digests: Vec<&String> = r.ledger_digest.values().collect();
        digests.sort();
        digests.dedup();
        let same = if digests.len() == 1 {
            "every honest node holds the identical ledger".to_string()
        } else {
            "no two honest nodes disagree on any slot (some are shorter)".to_string()
        };
        outln!(o, "  SAFETY    held: {same}; {} slots decided", r.slots);
        if let Some(per) = r.virtual_ms.checked_div(r.slots).filter(|_| r.liveness) {
            outln!(o, "            one slot every {} of virtual time on average", secs(per));
        }
    } else {
        outln!(o, "  SAFETY    BROKEN:");
        for v in &r.violations {
            outln!(
                o,
                "    {} at slot {} ({}), nodes {}: {}",
                v.kind,
                v.slot,
                secs(v.at_ms),
                v.nodes.join(", "),
                v.detail
            );
            for m in &v.last_messages {
                outln!(o, "      {m}");
            }
            outln!(o, "    reproduce with --seed {}", v.seed);
        }
    }
    let live = if r.liveness {
        format!(
            "reached: all {} submitted values are in the ledger of every running honest node ({running} of {})",
            r.values_submitted,
            honest.len()
        )
    } else if d.expect_liveness {
        format!(
            "NOT reached by the stop time: only {} of {} values externalized everywhere",
            r.values_externalized, r.values_submitted
        )
    } else {
        format!(
            "not reached ({} of {} values), and the scenario does not expect it",
            r.values_externalized, r.values_submitted
        )
    };
    outln!(o, "  LIVENESS  {live}");
    outln!(o, "\nNodes:");
    let width = d.nodes.iter().map(|n| n.label.chars().count()).max().unwrap_or(8).min(44);
    for n in &d.nodes {
        let role = match n.byzantine {
            Some(b) => format!("Byzantine ({b})"),
            None if n.up => "honest, running".to_string(),
            None => "honest, crashed".to_string(),
        };
        let sync = if n.synced_slots > 0 {
            format!(", {} slots by ledger sync", n.synced_slots)
        } else {
            String::new()
        };
        let digest = r
            .ledger_digest
            .get(&n.key)
            .map(|h| format!("  ledger {}", &h[..12]))
            .unwrap_or_default();
        outln!(
            o,
            "  {:<width$} {:<24} {:>5} slots {:>8} values{sync}{digest}",
            n.label,
            role,
            n.slots,
            n.values
        );
    }
    let s = &d.stats;
    let per_slot = r.messages.checked_div(r.slots).unwrap_or(r.messages);
    outln!(
        o,
        "\nMessages: {} sent ({per_slot} per slot); {} lost, {} cut by partitions, {} to crashed nodes, {} duplicates dropped, {} refused by SCP, {} malformed, {} forged",
        r.messages,
        s.dropped,
        s.partitioned,
        s.to_crashed,
        s.duplicates,
        s.rejected,
        s.malformed,
        s.forged
    );
    outln!(
        o,
        "Event digest {} over {} events (the same seed gives the same digest)",
        r.digest,
        d.events
    );
    if let Some(kb) = peak_rss_kb() {
        outln!(o, "Peak memory {:.1} MiB", kb as f64 / 1024.0);
    }
}

/// Peak resident memory of this process (Linux), in KiB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
