#!/usr/bin/env bash
# Bounded soak of a loopback devnet (issue 14): scripts/soak.sh MINUTES [options]
#   --rate R         offered load, tx/s (default: half the sustained rate of --from-json, or of
#                    a short `mcnode bench network` run made first)
#   --from-json F    a `mcnode bench network --json` document to take the sustained rate from
#   --nodes N        nodes (default 4)
#   --kill-every S   SIGKILL one node (never node-0, whose blocks the load watches) every S
#                    seconds and restart it 5 s later (default 60; 0 = never)
#   --keep DIR       make the devnet in DIR and keep it (default: a temporary directory)
# Release build of `mcnode` (and `mcnode-enclave`) from this workspace; MCNODE_BIN overrides.
# Prints, every 10 s: height, RSS and anonymous RSS (node + enclave, MiB: RSS counts the pages
# of the memory-mapped ledger, which grows with the chain; RssAnon is the heap) per node; at the
# end: throughput over time (from the load's blocks), memory growth once warm (both figures at
# the end against a third of the way in; for a restarted node, since its restart), refusals,
# and the verdict. Exits
# non-zero when nodes disagree, a node died that the soak did not kill, or the load failed.
set -uo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:?usage: scripts/soak.sh MINUTES [--rate R] [--from-json F] [--nodes N] [--kill-every S] [--keep DIR]}"
shift
RATE="" FROM="" NODES=4 KILL_EVERY=60 KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --from-json) FROM="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --kill-every) KILL_EVERY="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
if [ -z "${MCNODE_BIN:-}" ]; then
  cargo build --release -q -p mcnode-cli || exit 1
  MCNODE_BIN="$TARGET/release/mcnode"
fi
MC="$MCNODE_BIN"
# `mcnode run` refuses MCNODE_* variables that name no configuration field: not for the nodes.
unset MCNODE_BIN
SECONDS_TOTAL=$((MINUTES * 60))

if [ -z "$RATE" ]; then
  if [ -z "$FROM" ]; then
    FROM="$(mktemp)"
    echo "soak: measuring the sustained rate first (mcnode bench network --seconds 5)"
    "$MC" bench network --seconds 5 --pool 3000 --json >"$FROM" || { echo "soak: bench network failed" >&2; exit 1; }
  fi
  RATE=$(jq -r '.sustained_tx_per_sec / 2' "$FROM")
fi
POOL=$(python3 -c "import math; print(math.ceil($RATE * $SECONDS_TOTAL * 1.05) + 20)")

if [ -n "$KEEP" ]; then DIR="$KEEP"; else DIR="$(mktemp -d)/devnet"; fi
"$MC" devnet init "$DIR" --nodes "$NODES" --block-interval-ms 1000 --load-outputs "$POOL" --json >/dev/null || exit 1

declare -a PIDS
start_node() {
  local i=$1
  "$MC" run --config "$DIR/node-$i/node.toml" --set log.format=json >>"$DIR/node-$i/node.log" 2>&1 &
  PIDS[$i]=$!
}
LOADPID=""
cleanup() {
  for p in "${PIDS[@]}" $LOADPID; do kill -TERM "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -z "$KEEP" ]; then rm -rf "$(dirname "$DIR")"; fi
}
trap cleanup EXIT
for i in $(seq 0 $((NODES - 1))); do start_node "$i"; done

admin() { jq -r ".nodes[$1].admin_url" "$DIR/devnet.json"; }
height() {
  local h
  h=$(curl -s -m 2 "$(admin "$1")/info" | jq -r '.height // empty' 2>/dev/null)
  echo "${h:--}"
}
# RSS (or another /proc status field, $2) of a pid and its children (the enclave), MiB
rss() {
  local p=$1 field=${2:-VmRSS} kb=0 c v
  for c in $p $(ps -o pid= --ppid "$p" 2>/dev/null); do
    v=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$c/status" 2>/dev/null)
    kb=$((kb + ${v:-0}))
  done
  echo $((kb / 1024))
}
anon() { rss "$1" RssAnon; }

# The load attaches to the running nodes only once every one answers.
for _ in $(seq 1 120); do
  up=0; for i in $(seq 0 $((NODES - 1))); do [ "$(height "$i")" != "-" ] && up=$((up + 1)); done
  [ "$up" = "$NODES" ] && break; sleep 1
done
echo "soak: $NODES nodes in $DIR, $MINUTES min at $RATE tx/s ($POOL load outputs), kill every ${KILL_EVERY}s"
"$MC" bench network --devnet "$DIR" --rate "$RATE" --seconds "$SECONDS_TOTAL" --pool "$POOL" --json \
  >"$DIR/load.json" 2>"$DIR/load.err" &
LOADPID=$!

declare -a WARM RESTARTED
DEAD=0 KILLED="" T=0 NEXT_KILL=$KILL_EVERY VICTIM=1
while kill -0 "$LOADPID" 2>/dev/null; do
  sleep 10; T=$((T + 10))
  line="t=${T}s"
  for i in $(seq 0 $((NODES - 1))); do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null && [ "$KILLED" != "$i" ]; then
      echo "soak: node-$i died (not killed by the soak); see $DIR/node-$i/node.log" >&2
      DEAD=1
    fi
    line="$line  node-$i h=$(height "$i") rss=$(rss "${PIDS[$i]}")/$(anon "${PIDS[$i]}")MiB"
  done
  echo "$line"
  if [ "$T" -ge $((SECONDS_TOTAL / 3)) ]; then
    for i in $(seq 0 $((NODES - 1))); do
      if [ -z "${WARM[$i]:-}" ]; then WARM[$i]="$(rss "${PIDS[$i]}")/$(anon "${PIDS[$i]}")"; fi
    done
  fi
  if [ -n "$KILLED" ]; then
    start_node "$KILLED"; RESTARTED[$KILLED]=$T; WARM[$KILLED]=""; KILLED=""
  elif [ "$KILL_EVERY" -gt 0 ] && [ "$NODES" -gt 1 ] && [ "$T" -ge "$NEXT_KILL" ]; then
    echo "soak: SIGKILL node-$VICTIM (restart in 10 s)"
    kill -KILL "${PIDS[$VICTIM]}"; KILLED=$VICTIM
    VICTIM=$((VICTIM % (NODES - 1) + 1)); NEXT_KILL=$((T + KILL_EVERY))
  fi
  [ "$DEAD" = 1 ] && break
done
if [ -n "$KILLED" ]; then start_node "$KILLED"; KILLED=""; fi
wait "$LOADPID"; LOADRC=$?
if [ "$LOADRC" != 0 ]; then echo "soak: load exited $LOADRC: $(tail -3 "$DIR/load.err")" >&2; fi

echo "throughput over time (tx/s externalized per 10 s, from node-0's blocks):"
jq -r '.steps[0].timeline[]? | "  \(.from_s)s  \(.tx_per_sec)"' "$DIR/load.json" 2>/dev/null
jq -c '{offered: .steps[0].offered_tx_per_sec, externalized: .steps[0].externalized_tx_per_sec,
  accepted: .steps[0].accepted, included: .steps[0].included, refusals: .refusals,
  p50_ms: .p50_ms, p99_ms: .p99_ms}' "$DIR/load.json" 2>/dev/null
echo "memory once warm, RSS/RssAnon of node + enclave at the warm mark -> now, MiB:"
for i in $(seq 0 $((NODES - 1))); do
  now="$(rss "${PIDS[$i]}")/$(anon "${PIDS[$i]}")"
  echo "  node-$i ${WARM[$i]:-?} -> $now${RESTARTED[$i]:+ (restarted at ${RESTARTED[$i]}s)}"
done

# Agreement: every node at one height with one last block id (60 s for restarted nodes to catch up).
AGREE=0
for _ in $(seq 1 60); do
  ids=$(for i in $(seq 0 $((NODES - 1))); do curl -s -m 2 "$(admin "$i")/info" | jq -r '"\(.height) \(.last_block.id)"'; done | sort -u | wc -l)
  if [ "$ids" = 1 ]; then AGREE=1; break; fi
  sleep 1
done
echo "agreement: $([ $AGREE = 1 ] && echo yes || echo NO)  dead nodes: $([ $DEAD = 1 ] && echo YES || echo none)"
[ "$AGREE" = 1 ] && [ "$DEAD" = 0 ] && [ "$LOADRC" = 0 ]
