//! Benchmarks of the quorum analyses on the real and synthetic networks of the test data.
//! Run: `cargo bench -p mcnode-fbas --bench fbas` (figures in BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test/bench helpers: a failure is the report

use mcnode_fbas::quorums::Budget;
use mcnode_fbas::{Fbas, Grouping, input, intersection, synthetic};

fn main() {
    divan::main();
}

fn load(name: &str) -> Fbas {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    input::parse_stellarbeat(&text).unwrap()
}

const PUBNET: &str = "pubnet_obsrvr_2025-07-20.json";

#[divan::bench(sample_count = 20)]
fn intersection_pubnet_2025_sat(b: divan::Bencher) {
    let f = load(PUBNET);
    b.bench(|| assert!(mcnode_fbas::check_intersection(&f).unwrap().intersects));
}

#[divan::bench(sample_count = 5)]
fn intersection_pubnet_2025_enumeration(b: divan::Bencher) {
    let f = load(PUBNET);
    b.bench(|| {
        let r =
            intersection::check_intersection_enumerating(&f, &mut Budget::new_default()).unwrap();
        assert!(r.intersects);
    });
}

#[divan::bench(args = [10, 12, 14, 16, 18, 20], sample_count = 5)]
fn intersection_symmetric_sat(b: divan::Bencher, orgs: usize) {
    let f = Fbas::from_raw(synthetic::almost_symmetric(orgs, 0.0, 1)).unwrap();
    b.bench(|| assert!(mcnode_fbas::check_intersection(&f).unwrap().intersects));
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn splitting_sets_pubnet_2025_all_nodes(b: divan::Bencher) {
    let f = load(PUBNET);
    let g = Grouping::per_node(&f);
    b.bench(|| mcnode_fbas::minimal_splitting_sets(&f, &g, Budget::DEFAULT).unwrap());
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn blocking_sets_pubnet_2025(b: divan::Bencher) {
    let f = load(PUBNET);
    let g = Grouping::per_node(&f);
    b.bench(|| mcnode_fbas::minimal_blocking_sets(&f, &g, Budget::DEFAULT));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn minimal_quorums_pubnet_2025(b: divan::Bencher) {
    let f = load(PUBNET);
    b.bench(|| mcnode_fbas::quorums::minimal_quorums(&f, &mut Budget::new_default()));
}

#[divan::bench(sample_count = 20)]
fn parse_pubnet_2025(b: divan::Bencher) {
    let path = format!("{}/tests/data/{PUBNET}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    b.bench(|| input::parse_stellarbeat(&text).unwrap());
}

#[divan::bench(args = [10, 12, 14, 16, 18, 20], sample_count = 5)]
fn intersection_almost_symmetric_sat(b: divan::Bencher, orgs: usize) {
    let f = Fbas::from_raw(synthetic::almost_symmetric(orgs, 0.05, 1)).unwrap();
    b.bench(|| mcnode_fbas::check_intersection(&f).unwrap());
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn intersection_symmetric_10_orgs_enumeration(b: divan::Bencher) {
    let f = Fbas::from_raw(synthetic::almost_symmetric(10, 0.0, 1)).unwrap();
    b.bench(|| intersection::check_intersection_enumerating(&f, &mut Budget::new_default()));
}
