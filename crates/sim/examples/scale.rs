//! The scale figure (BENCHMARKS.md): runs a scenario file and prints wall time, virtual time,
//! slots, messages and messages per slot. Run in release:
//! `cargo run --release -p mcnode-sim --example scale examples/sim/scale-100.json`.

use std::path::Path;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: scale SCENARIO.json");
        std::process::exit(2);
    };
    let cfg = match mcnode_sim::load_scenario(Path::new(&path)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let nodes = cfg.topology.nodes.len();
    let r = mcnode_sim::run(cfg);
    let per_slot = r.messages / r.slots.max(1);
    println!(
        "nodes {nodes} wall_ms {} virtual_ms {} slots {} messages {} messages_per_slot {per_slot} agreement {} liveness {}",
        r.wall_ms, r.virtual_ms, r.slots, r.messages, r.agreement, r.liveness
    );
}
