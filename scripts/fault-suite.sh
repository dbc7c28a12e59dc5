#!/usr/bin/env bash
# The full fault suite on real mcnode processes (issue 14; docs/testing.md): RUNS runs, each a
# 4-node devnet in network namespaces going through PHASES random faults (partitions, one-way
# cuts, loss, delay and jitter, kills during appends and at random, clock skew), payments
# throughout, invariants checked after each run. Run k uses seed SEED+k.
#
#   scripts/fault-suite.sh [--seed S] [--runs N] [--phases P]
#
# The seed is printed first; a failing run prints its own seed and the command that re-runs
# exactly that run. Needs root; installs nftables/iproute2 if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=""
runs=3
phases=10
while [ $# -gt 0 ]; do
    case "$1" in
        --seed) seed="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --phases) phases="$2"; shift 2 ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$seed" ]; then
    seed=$(( ($(date +%s%N) / 1000) % 1000000007 ))
fi
echo "fault suite seed: $seed (runs $runs, phases $phases)"
if ! command -v nft >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
    scripts/install-test-deps.sh
fi
if MCNODE_FAULT_SEED="$seed" MCNODE_FAULT_RUNS="$runs" MCNODE_FAULT_PHASES="$phases" \
    cargo test -p mcnode-cli --test faults -- --ignored --exact full_suite --nocapture; then
    echo "fault suite passed (seed $seed, runs $runs, phases $phases)"
else
    echo "fault suite FAILED (suite seed $seed); the failing run's seed and re-run command are printed above" >&2
    exit 1
fi
