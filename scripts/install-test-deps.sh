#!/usr/bin/env bash
# Installs what the test suite needs beyond Rust crates (run by .ci/run before the tests).
# - moto's S3 server (PyPI `moto[server]`): the block archive's s3:// tests start a real
#   S3-compatible server on a loopback port (crates/archive/src/testkit.rs).
# - Debian's `chromium`: the dashboard test (crates/cli/tests/operator.rs) renders the admin
#   page headless and saves a screenshot.
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
