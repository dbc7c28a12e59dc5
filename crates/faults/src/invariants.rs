//! The invariants checked after every fault run, over the honest nodes:
//! - agreement: identical block ids at every height up to the lowest honest height;
//! - inclusion: every payment one node holds in a block (acknowledged as included) is in every
//!   honest node's ledger;
//! - soundness: `mcnode ledger verify` passes on every honest node's ledger after the stop;
//! - liveness: once the faults end, a new payment reaches every honest ledger within a bound
//!   (checked by the runner, `crate::scenario`);
//! - no deaths: no node process ended except those the test killed or stopped.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::observe::BlockSummary;

/// An invariant that does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Violation {
    /// Two honest nodes hold different blocks at one height.
    #[error("fork at height {height}: {ids:?} (node, block id)")]
    Fork {
        /// The height.
        height: u64,
        /// Each node's block id there.
        ids: Vec<(usize, String)>,
    },
    /// A payment one node included is missing from another's ledger.
    #[error(
        "key image {key_image} is in node {included_by}'s ledger but not in node {missing_on}'s"
    )]
    Missing {
        /// The payment's key image.
        key_image: String,
        /// A node holding it.
        included_by: usize,
        /// A node lacking it.
        missing_on: usize,
    },
    /// `mcnode ledger verify` failed.
    #[error("ledger of node {node} fails `mcnode ledger verify`: {output}")]
    Unsound {
        /// The node.
        node: usize,
        /// What verify printed.
        output: String,
    },
    /// Progress did not resume in time after the faults ended.
    #[error("not live: {what} within {waited:?} after the faults ended")]
    NotLive {
        /// What did not happen.
        what: String,
        /// How long the test waited.
        waited: Duration,
    },
    /// A node process ended that the test did not kill or stop (or stopped uncleanly).
    #[error("node {node} died: {status}")]
    Died {
        /// The node.
        node: usize,
        /// Its exit status.
        status: String,
    },
}

/// Agreement: every pair of chains holds the same block id at every height both hold.
pub fn agreement(chains: &[(usize, Vec<BlockSummary>)]) -> Result<(), Violation> {
    let lowest = chains.iter().map(|(_, c)| c.len()).min().unwrap_or(0);
    for h in 0..lowest {
        let ids: Vec<(usize, String)> = chains.iter().map(|(n, c)| (*n, c[h].id.clone())).collect();
        if ids.windows(2).any(|w| w[0].1 != w[1].1) {
            return Err(Violation::Fork { height: h as u64, ids });
        }
    }
    Ok(())
}

/// The key images of `ours` that some chain holds, each with a node that holds it.
pub fn acknowledged<'a>(
    chains: &[(usize, Vec<BlockSummary>)],
    ours: impl IntoIterator<Item = &'a String>,
) -> BTreeMap<String, usize> {
    let mut held = BTreeMap::new();
    for (n, c) in chains {
        for b in c {
            for k in &b.key_images {
                held.entry(k.clone()).or_insert(*n);
            }
        }
    }
    ours.into_iter().filter_map(|k| held.get(k).map(|n| (k.clone(), *n))).collect()
}

/// Inclusion: every acknowledged key image is in every chain.
pub fn included(
    chains: &[(usize, Vec<BlockSummary>)],
    acked: &BTreeMap<String, usize>,
) -> Result<(), Violation> {
    for (k, by) in acked {
        for (n, c) in chains {
            if !c.iter().any(|b| b.key_images.contains(k)) {
                return Err(Violation::Missing {
                    key_image: k.clone(),
                    included_by: *by,
                    missing_on: *n,
                });
            }
        }
    }
    Ok(())
}

/// Soundness: `mcnode ledger verify LEDGER` exits 0 (the node must be stopped).
pub fn ledger_verify(mcnode: &Path, node: usize, ledger: &Path) -> Result<(), Violation> {
    match Command::new(mcnode).args(["ledger", "verify"]).arg(ledger).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(Violation::Unsound {
            node,
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }),
        Err(e) => Err(Violation::Unsound { node, output: format!("cannot run: {e}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(ids: &[&str], kis: &[&[&str]]) -> Vec<BlockSummary> {
        ids.iter()
            .zip(kis)
            .enumerate()
            .map(|(i, (id, k))| BlockSummary {
                index: i as u64,
                id: (*id).into(),
                key_images: k.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect()
    }

    #[test]
    fn agreement_finds_a_fork_below_the_lowest_height_and_ignores_longer_chains() {
        let a = chain(&["o", "x", "y"], &[&[], &[], &[]]);
        let b = chain(&["o", "x"], &[&[], &[]]);
        assert_eq!(agreement(&[(0, a.clone()), (1, b)]), Ok(()));
        let c = chain(&["o", "z"], &[&[], &[]]);
        assert_eq!(
            agreement(&[(0, a), (2, c)]),
            Err(Violation::Fork { height: 1, ids: vec![(0, "x".into()), (2, "z".into())] })
        );
    }

    #[test]
    fn a_payment_held_by_one_node_must_be_held_by_all() {
        let a = chain(&["o", "x"], &[&[], &["k1"]]);
        let b = chain(&["o"], &[&[]]);
        let ours = ["k1".to_owned(), "k2".to_owned()];
        let chains = [(0, a), (3, b)];
        let acked = acknowledged(&chains, &ours);
        assert_eq!(acked, BTreeMap::from([("k1".to_owned(), 0)]), "k2 is in no ledger");
        assert_eq!(
            included(&chains, &acked),
            Err(Violation::Missing { key_image: "k1".into(), included_by: 0, missing_on: 3 })
        );
    }
}
