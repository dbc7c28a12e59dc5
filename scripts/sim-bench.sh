#!/usr/bin/env bash
# Simulator benchmarks (BENCHMARKS.md, "mcnode-sim"): MobileCoin's mock-network scenarios through
# `mcnode sim` (10,000 values, at most 100 per slot, every value to every node, zero latency),
# best wall time of REPS runs, against MobileCoin's own release-build times on this machine;
# then the scale runs (organisations of 5, 1,000 values, 50 ms latency) with peak memory.
# Usage: scripts/sim-bench.sh [REPS] [--no-scale]
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-3}"
scale="${2:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p mcnode-cli
bin="$CARGO_TARGET_DIR/release/mcnode"
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "| scenario | MobileCoin ms | mcnode sim ms (best of $reps) | speed-up | slots | messages | identical ledgers |"
echo "|---|---|---|---|---|---|---|"
total=0
for case in "mesh:1:0 1277" "mesh:2:1 1472" "mesh:3:1 2489" "mesh:3:2 3360" "mesh:4:3 4837" \
            "mesh:5:3 6904" "mesh:5:4 8072" "cycle:1 1444" "cycle:2 1335" "cycle:3 2795" \
            "cycle:4 5250" "cycle:5 11333" "cycle:6 13732"; do
  set -- $case
  best=""
  for _ in $(seq "$reps"); do
    out=$("$bin" sim --topology "$1" --values 10000 --max-values-per-slot 100 --seed 1 --json)
    ok=$(echo "$out" | field "d['agreement'] and d['liveness'] and d['values_externalized']==10000 and len(set(d['ledger_digest'].values()))==1")
    [ "$ok" = "True" ] || { echo "FAILED: $1 $out" >&2; exit 1; }
    ms=$(echo "$out" | field "d['wall_ms']")
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  slots=$(echo "$out" | field "d['slots']"); msgs=$(echo "$out" | field "d['messages']")
  speed=$(python3 -c "print(f'{$2/max($best,1):.0f}x')")
  total=$((total + best))
  echo "| $1 | $2 | $best | $speed | $slots | $msgs | yes |"
done
echo
echo "sum of best wall times: ${total} ms (MobileCoin: 66100 ms)"
[ "$scale" = "--no-scale" ] && exit 0
echo
echo "| nodes | wall ms | virtual ms | slots | messages | messages per slot | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|"
for n in 10 100 200; do
  /usr/bin/time -f "%M" -o /tmp/mcnode-sim-rss.$$ "$bin" sim "examples/sim/scale-$n.json" --json > /tmp/mcnode-sim-out.$$
  out=$(cat /tmp/mcnode-sim-out.$$)
  ok=$(echo "$out" | field "d['agreement'] and d['liveness']")
  [ "$ok" = "True" ] || { echo "FAILED: scale-$n" >&2; exit 1; }
  rss=$(python3 -c "print(f'{$(cat /tmp/mcnode-sim-rss.$$)/1024:.1f}')")
  echo "$out" | field "'| $n | %d | %d | %d | %d | %d | $rss |' % (d['wall_ms'], d['virtual_ms'], d['slots'], d['messages'], d['messages']//d['slots'])"
done
rm -f /tmp/mcnode-sim-rss.$$ /tmp/mcnode-sim-out.$$
