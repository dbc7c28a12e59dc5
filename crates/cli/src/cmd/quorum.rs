//! `mcnode quorum check|analyze`: quorum health of a network description (stellarbeat JSON).
//!
//! Exit codes: 0 the quorums intersect; 1 they do not (or no quorum exists at all); 2 bad input
//! (the message names the node and the problem).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mcnode_fbas::quorums::{self, Budget};
use mcnode_fbas::splitting::minimal_splitting_sets_within;
use mcnode_fbas::{Fbas, Grouping, Intersection, NodeSet, SetFamily, input};
use serde_json::{Value, json};

/// `println!` that tolerates a closed pipe (`mcnode quorum analyze ... | head` must not panic).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// What `mcnode quorum` can do.
#[derive(Subcommand, Debug)]
pub enum QuorumCommand {
    /// Does every pair of quorums intersect? If not, print two disjoint quorums as proof.
    Check(CheckArgs),
    /// Minimal quorums, the top tier, minimal blocking and splitting sets (all unless some of
    /// --top-tier, --blocking, --splitting are given).
    Analyze(AnalyzeArgs),
}

/// Arguments of `quorum check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Network description: stellarbeat JSON (`[{"publicKey", "quorumSet"}, ...]`).
    file: PathBuf,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
}

/// Arguments of `quorum analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Network description: stellarbeat JSON.
    file: PathBuf,
    /// Organisations file (`[{"id", "name", "validators"}]`): count results per organisation.
    #[arg(long)]
    orgs: Option<PathBuf>,
    /// Minimal blocking sets: who, if they stop, halts everyone.
    #[arg(long)]
    blocking: bool,
    /// Minimal splitting sets: who, if they lie, can fork correct nodes apart.
    #[arg(long)]
    splitting: bool,
    /// The top tier (union of the minimal quorums) and the minimal quorums' count and sizes.
    #[arg(long)]
    top_tier: bool,
    /// Look for splitting sets among top-tier nodes only (fbas_analyzer's --only-core-nodes).
    #[arg(long)]
    splitting_top_tier_only: bool,
    /// Search effort limit for each enumeration (search steps; SAT calls for splitting sets).
    /// Results say when they hit it. Large symmetric networks have very many minimal sets (a
    /// synthetic 10-organisation one has ~98,000 splitting sets, ~100 s): lower this to bound
    /// the time.
    #[arg(long, default_value_t = 5_000_000)]
    max_steps: u64,
    /// How many of the smallest sets to list in the report.
    #[arg(long, default_value_t = 10)]
    list: usize,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
}

/// Runs a `quorum` subcommand.
pub fn run(cmd: QuorumCommand) -> ExitCode {
    let result = match cmd {
        QuorumCommand::Check(a) => check(&a),
        QuorumCommand::Analyze(a) => analyze(&a),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn load(path: &Path) -> Result<Fbas, String> {
    input::parse_stellarbeat(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

fn code(i: &Intersection) -> ExitCode {
    if i.intersects && i.has_quorum { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// "name (GABCD…)" or the key.
fn show(f: &Fbas, v: usize) -> String {
    let n = &f.nodes()[v];
    match &n.name {
        Some(name) => format!("{name} ({}…)", n.id.chars().take(5).collect::<String>()),
        None => n.id.clone(),
    }
}

fn show_set(f: &Fbas, s: &NodeSet, max: usize) -> String {
    let mut parts: Vec<String> = s.iter().take(max).map(|v| show(f, v)).collect();
    if s.len() > max {
        parts.push(format!("… and {} more", s.len() - max));
    }
    parts.join(", ")
}

fn intersection_json(f: &Fbas, i: &Intersection) -> serde_json::Map<String, Value> {
    let mut o = serde_json::Map::new();
    o.insert("intersection".into(), json!(i.intersects));
    o.insert(
        "split".into(),
        i.split.as_ref().map_or(Value::Null, |(a, b)| json!([f.ids(a), f.ids(b)])),
    );
    o.insert("has_quorum".into(), json!(i.has_quorum));
    o.insert("nodes_in_no_quorum".into(), json!(f.ids(&i.in_no_quorum)));
    let unknown = NodeSet::from_indices(f.len(), f.unknown_nodes());
    o.insert("unknown_nodes".into(), json!(f.ids(&unknown)));
    o
}

fn print_intersection(f: &Fbas, i: &Intersection) {
    let defined = f.nodes().iter().filter(|n| !n.unknown).count();
    let with_qset = f.nodes().iter().filter(|n| n.qset.is_some()).count();
    if !i.has_quorum {
        out!("VERDICT: NO QUORUM EXISTS: no node can ever make progress.");
    } else if i.intersects {
        out!("VERDICT: OK: every two quorums intersect (the network cannot fork).");
    } else {
        out!("VERDICT: QUORUMS DO NOT INTERSECT: the network can fork.");
    }
    out!("  {defined} nodes defined, {with_qset} with a quorum set.");
    if let Some((a, b)) = &i.split {
        out!("  Proof, two quorums with no node in common:");
        out!("    A ({} nodes): {}", a.len(), show_set(f, a, 50));
        out!("    B ({} nodes): {}", b.len(), show_set(f, b, 50));
    }
    if !i.in_no_quorum.is_empty() {
        out!(
            "  {} nodes are in no quorum (they can never make progress): {}",
            i.in_no_quorum.len(),
            show_set(f, &i.in_no_quorum, 10)
        );
    }
    let unknown = f.unknown_nodes();
    if !unknown.is_empty() {
        let s = NodeSet::from_indices(f.len(), unknown);
        out!(
            "  {} unknown nodes (named in quorum sets, not defined): {}",
            s.len(),
            show_set(f, &s, 10)
        );
    }
}

fn check(a: &CheckArgs) -> Result<ExitCode, String> {
    let f = load(&a.file)?;
    let i = mcnode_fbas::check_intersection(&f).map_err(|e| e.to_string())?;
    if a.json {
        out!("{}", Value::Object(intersection_json(&f, &i)));
    } else {
        print_intersection(&f, &i);
    }
    Ok(code(&i))
}

/// A group for people: an organisation's name, or a lone node's name and short key.
fn group_name(f: &Fbas, g: &Grouping, gi: usize) -> String {
    let m = g.members(gi);
    match m.iter().next() {
        Some(v) if m.len() == 1 && f.nodes()[v].id == g.label(gi) => show(f, v),
        _ => g.label(gi).to_string(),
    }
}

fn group_names(f: &Fbas, g: &Grouping, groups: &[usize]) -> String {
    groups.iter().map(|&gi| group_name(f, g, gi)).collect::<Vec<_>>().join(", ")
}

fn labels(g: &Grouping, sets: &[Vec<usize>]) -> Vec<Vec<String>> {
    sets.iter().map(|s| g.labels_of(s)).collect()
}

fn print_family(f: &Fbas, g: &Grouping, what: &str, meaning: &str, fam: &SetFamily, list: usize) {
    let unit = if g.is_organisations() { "group(s)" } else { "node(s)" };
    match fam.size_range() {
        None => out!("{what}: none ({meaning})."),
        Some((lo, hi)) => {
            out!("{what}: {} sets of {lo} to {hi} {unit} ({meaning}).", fam.sets.len());
            let smallest = fam.smallest();
            out!(
                "  The {} smallest ({lo} {unit} each){}:",
                smallest.len(),
                if smallest.len() > list { format!(", first {list}") } else { String::new() }
            );
            for s in smallest.iter().take(list) {
                let l = group_names(f, g, s);
                out!("    - {}", if l.is_empty() { "(the empty set)".to_string() } else { l });
            }
        }
    }
    if !fam.complete {
        out!("  (search stopped at its budget: the list may be incomplete)");
    }
}

fn analyze(a: &AnalyzeArgs) -> Result<ExitCode, String> {
    let f = load(&a.file)?;
    let grouping = match &a.orgs {
        Some(p) => input::parse_organizations(&read(p)?, &f)
            .map_err(|e| format!("{}: {e}", p.display()))?,
        None => Grouping::per_node(&f),
    };
    let all = !(a.blocking || a.splitting || a.top_tier);
    let i = mcnode_fbas::check_intersection(&f).map_err(|e| e.to_string())?;
    let mut out = intersection_json(&f, &i);
    out.insert(
        "grouping".into(),
        json!(if grouping.is_organisations() { "organisation" } else { "node" }),
    );
    if !a.json {
        print_intersection(&f, &i);
    }
    let need_top = all || a.top_tier || a.splitting_top_tier_only;
    let mq = need_top.then(|| quorums::minimal_quorums(&f, &mut Budget(a.max_steps)));
    if let (Some(mq), true) = (&mq, all || a.top_tier) {
        let groups = grouping.groups_touching(&mq.top_tier);
        out.insert("top_tier".into(), json!(grouping.labels_of(&groups)));
        out.insert(
            "minimal_quorums".into(),
            json!({"count": mq.count, "sizes": mq.size_range.map(|(x, y)| [x, y]), "complete": mq.complete}),
        );
        if !a.json {
            let unit = if grouping.is_organisations() { "group(s)" } else { "node(s)" };
            out!("Top tier: {} {unit}: {}", groups.len(), group_names(&f, &grouping, &groups));
            match mq.size_range {
                Some((lo, hi)) => out!("Minimal quorums: {} of {lo} to {hi} nodes.", mq.count),
                None => out!("Minimal quorums: none."),
            }
            if !mq.complete {
                out!("  (enumeration stopped at its budget: figures are lower bounds)");
            }
        }
    }
    if all || a.blocking {
        let fam = mcnode_fbas::minimal_blocking_sets(&f, &grouping, Budget(a.max_steps));
        insert_family(&mut out, "blocking", &grouping, &fam);
        if !a.json {
            print_family(
                &f,
                &grouping,
                "Minimal blocking sets",
                "if all of one set stop, every node halts",
                &fam,
                a.list,
            );
        }
    }
    if all || a.splitting {
        let scope = match (&mq, a.splitting_top_tier_only) {
            (Some(mq), true) => mq.top_tier.clone(),
            _ => f.all(),
        };
        let fam = minimal_splitting_sets_within(&f, &grouping, &scope, Budget(a.max_steps))
            .map_err(|e| e.to_string())?;
        insert_family(&mut out, "splitting", &grouping, &fam);
        if !a.json {
            print_family(
                &f,
                &grouping,
                "Minimal splitting sets",
                "if one set lies, correct nodes can be forked apart",
                &fam,
                a.list,
            );
        }
    }
    if a.json {
        out!("{}", Value::Object(out));
    }
    Ok(code(&i))
}

fn insert_family(
    out: &mut serde_json::Map<String, Value>,
    what: &str,
    g: &Grouping,
    fam: &SetFamily,
) {
    out.insert(
        format!("minimal_{what}_set_sizes"),
        fam.size_range().map_or(Value::Null, |(x, y)| json!([x, y])),
    );
    out.insert(format!("minimal_{what}_set_count"), json!(fam.sets.len()));
    out.insert(format!("smallest_{what}_sets"), json!(labels(g, &fam.smallest())));
    out.insert(format!("minimal_{what}_sets_complete"), json!(fam.complete));
}
