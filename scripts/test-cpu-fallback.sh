#!/usr/bin/env bash
# Proves that a build with curve25519-dalek's AVX-512 IFMA backend compiled in
# (--cfg curve25519_dalek_backend="avx512") still runs correctly on a CPU without IFMA:
# builds the mcnode-crypto and mcnode-tx test suites with that flag, then runs them
#   1. natively (on a CPU with IFMA: the AVX-512 code runs), and
#   2. under qemu-user emulating a CPU without AVX-512 (default: Haswell, AVX2 only),
# each time with MCNODE_EXPECT_CURVE_BACKEND naming the backend the run must select
# (mcnode_crypto::backend's test checks it). An AVX-512 instruction reached on the emulated
# CPU would kill the run with SIGILL; a wrong result fails the tests.
#
# Usage: scripts/test-cpu-fallback.sh [QEMU_CPU]   (env TARGET_DIR, default target/avx512)
# Installs Debian's qemu-user if qemu-x86_64 is missing. Release profile (the emulated run of
# range proofs is slow in a debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
cpu="${1:-Haswell}"
target_dir="${TARGET_DIR:-target/avx512}"
if ! command -v qemu-x86_64 >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq qemu-user >/dev/null
fi
export RUSTFLAGS='--cfg curve25519_dalek_backend="avx512"'
export CARGO_TARGET_DIR="$target_dir"
mapfile -t bins < <(
    cargo test --release -p mcnode-crypto -p mcnode-tx --lib --tests --no-run \
        --message-format=json 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])
'
)
[ "${#bins[@]}" -gt 0 ] || { echo "no test binaries built" >&2; exit 1; }
native="avx2"
if grep -qw avx512ifma /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then native="avx512ifma"; fi
status=0
for bin in "${bins[@]}"; do
    name="$(basename "$bin")"
    echo "== $name: native CPU (expect $native)"
    MCNODE_EXPECT_CURVE_BACKEND="$native" "$bin" -q || status=1
    echo "== $name: qemu-x86_64 -cpu $cpu (expect avx2)"
    MCNODE_EXPECT_CURVE_BACKEND=avx2 qemu-x86_64 -cpu "$cpu" "$bin" -q || status=1
done
[ "$status" -eq 0 ] && echo "fallback OK: the AVX-512 build passed natively ($native) and on $cpu (avx2)"
exit "$status"
