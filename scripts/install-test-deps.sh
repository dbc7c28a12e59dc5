#!/usr/bin/env bash
# Installs what the test suite needs beyond Rust crates (run by .ci/run before the tests).
# - moto's S3 server (PyPI `moto[server]`): the block archive's s3:// tests start a real
#   S3-compatible server on a loopback port (crates/archive/src/testkit.rs).
# - Debian's `chromium`: the dashboard test (crates/cli/tests/operator.rs) renders the admin
#   page headless and saves a screenshot.
# - Debian's `nftables` and `iproute2`: the fault tests (crates/faults, crates/cli/tests/faults.rs)
#   make one network namespace per node (`ip netns`, veth, bridge) and cut links with nft rules.
set -euo pipefail
if command -v moto_server >/dev/null 2>&1; then
    echo "moto_server: present ($(command -v moto_server))"
else
    python3 -m pip install --quiet 'moto[server]'
    # pyenv installs console scripts behind shims that exist only after a rehash.
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
    PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    command -v moto_server >/dev/null 2>&1 || {
        echo "moto_server is not on PATH after installing moto[server]" >&2
        exit 1
    }
fi
if command -v chromium >/dev/null 2>&1; then
    echo "chromium: present ($(command -v chromium))"
else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
    command -v chromium >/dev/null 2>&1 || {
        echo "chromium is not on PATH after apt-get install chromium" >&2
        exit 1
    }
fi
missing=()
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
if [ ${#missing[@]} -eq 0 ]; then
    echo "nft, ip: present"
else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    command -v nft >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 || {
        echo "nft or ip is not on PATH after apt-get install ${missing[*]}" >&2
        exit 1
    }
fi
