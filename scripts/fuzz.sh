#!/usr/bin/env bash
# Runs every fuzz target for a while (default 60 s each): scripts/fuzz.sh [SECONDS] [TARGET...]
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"; shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
targets=("$@"); [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${secs}s"
  # Committed seed inputs (valid examples), when a target has them, start the corpus.
  seeds=(); [ -d "seeds/$t" ] && seeds=("corpus/$t" "seeds/$t") && mkdir -p "corpus/$t"
  cargo fuzz run "$t" "${seeds[@]}" -- -max_total_time="$secs"
done
