#!/usr/bin/env bash
# The simulator's full multi-seed sweep (equivocation with crashes and loss, conflicting values
# on the Stellar tier-1, a healing partition, mixed liars among organisations): SEEDS seeds
# (default 200) in release. CI runs the same sweep on two seeds (`sweep_short_in_ci`).
# Usage: scripts/sim-sweep.sh [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/.."
MCNODE_SIM_SWEEP_SEEDS="${1:-200}" cargo test -p mcnode-sim --release --test scenarios \
  -- --ignored sweep_many_seeds
