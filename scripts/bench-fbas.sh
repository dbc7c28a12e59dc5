#!/usr/bin/env bash
# Compares `mcnode quorum` with fbas_analyzer 0.7.4 (crates.io) on the same machine in the same
# run: scripts/bench-fbas.sh [FA_TIMEOUT_SECONDS [intersection|sets|all]]
# (default 120 s and all; the table says ">N s" when fbas_analyzer hits the timeout)
# fbas_analyzer is installed into a directory outside the workspace; it is never a dependency.
# Times are whole-process wall clock (both tools read and parse the JSON), best of 3 runs.
set -uo pipefail
cd "$(dirname "$0")/.."
TO="${1:-120}"
WHAT="${2:-all}"
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
FA_ROOT="${FA_ROOT:-$TARGET/fbas-analyzer-0.7.4}"
FA="$FA_ROOT/bin/fbas_analyzer"
if [ ! -x "$FA" ]; then
  cargo install fbas_analyzer --version 0.7.4 --locked --root "$FA_ROOT" || exit 1
fi
cargo build --release -q -p mcnode-cli || exit 1
cargo build --release -q -p mcnode-fbas --example almost_symmetric || exit 1
MC="$TARGET/release/mcnode"
GEN="$TARGET/release/examples/almost_symmetric"
DATA=crates/fbas/tests/data
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT

# ms <timeout> cmd...: prints wall milliseconds, or ">T s" on timeout; output kept in $TMP/out
ms() {
  local to="$1"; shift
  local s e rc
  s=$(date +%s%N); timeout "$to" "$@" >"$TMP/out" 2>/dev/null; rc=$?; e=$(date +%s%N)
  if [ "$rc" = 124 ]; then echo ">${to} s"; else echo "$(( (e - s) / 1000000 ))"; fi
}
# best of 3 runs (a timeout ends the repeats)
best3() {
  local b="" t
  for _ in 1 2 3; do
    t=$(ms "$@")
    if ! [[ "$t" =~ ^[0-9]+$ ]]; then echo "$t"; return; fi
    if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
  done
  echo "$b"
}
mc_verdict() { "$MC" quorum check "$1" --json | grep -o '"intersection":[a-z]*' | cut -d: -f2; }
fa_verdict() { grep -o 'has_quorum_intersection: [a-z]*' "$TMP/out" | cut -d' ' -f2; }
ratio() { if [[ "$2" =~ ^[0-9]+$ ]]; then awk -v a="$1" -v b="$2" 'BEGIN{ if (a<1) a=1; printf "%.1fx", b/a }'; else echo "n/a (fbas_analyzer timed out)"; fi; }

echo "machine: $(nproc) vCPU, $(lscpu | sed -n 's/^Model name: *//p')"
echo
echo "| case | mcnode ms | verdict | fbas_analyzer ms | verdict | fbas_analyzer / mcnode |"
echo "|---|---|---|---|---|---|"
row() { # name file [fbas_analyzer flags...]
  local name="$1" file="$2"; shift 2
  local m f mv fv
  m=$(best3 60 "$MC" quorum check "$file"); mv=$(mc_verdict "$file")
  f=$(best3 "$TO" "$FA" "$file" --results-only "$@"); fv=$(fa_verdict)
  echo "| $name | $m | $mv | $f | ${fv:--} | $(ratio "$m" "$f") |"
}
if [ "$WHAT" != sets ]; then
row "intersection, pubnet 2025-07-20 (default check)" "$DATA/pubnet_obsrvr_2025-07-20.json"
row "intersection, pubnet 2025-07-20 (--alternative-quorum-intersection-check)" "$DATA/pubnet_obsrvr_2025-07-20.json" --alternative-quorum-intersection-check
row "intersection, stellarbeat 2019-09-17" "$DATA/stellarbeat_nodes_2019-09-17.json"
row "intersection, sqa 16 orgs dpf 15 (split)" "$DATA/sqa_almost_symmetric_network_16_orgs_delete_prob_factor_15.json"
for p in 0 0.05; do
  for n in 10 12 14 16 18 20; do
    "$GEN" "$n" "$p" 1 >"$TMP/sym_${n}_$p.json"
    row "intersection, almost-symmetric $n orgs x 3, delete prob $p, seed 1" "$TMP/sym_${n}_$p.json"
  done
done
fi
[ "$WHAT" = intersection ] && exit 0
# Minimal splitting sets on the whole 2025 network (no restriction to core nodes).
m=$(best3 60 "$MC" quorum analyze "$DATA/pubnet_obsrvr_2025-07-20.json" --splitting --json)
cnt=$("$MC" quorum analyze "$DATA/pubnet_obsrvr_2025-07-20.json" --splitting --json | grep -o '"minimal_splitting_set_count":[0-9]*' | cut -d: -f2)
f=$(ms "$TO" "$FA" "$DATA/pubnet_obsrvr_2025-07-20.json" --results-only -s -d)
echo "| minimal splitting sets, pubnet 2025-07-20, all nodes | $m | $cnt sets | $f | - | $(ratio "$m" "$f") |"
m=$(best3 60 "$MC" quorum analyze "$DATA/pubnet_obsrvr_2025-07-20.json" --blocking --json)
f=$(ms "$TO" "$FA" "$DATA/pubnet_obsrvr_2025-07-20.json" --results-only -b -d)
echo "| minimal blocking sets, pubnet 2025-07-20 | $m | - | $f | - | $(ratio "$m" "$f") |"
