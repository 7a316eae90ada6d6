#!/usr/bin/env bash
# Make sure Debian's `chromium` is installed for tests/report/test_chromium.py (make test calls this).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "ensure-chromium: chromium is missing and we are not root; install it: apt-get install -y chromium" >&2
        exit 1
    fi
fi
echo "ensure-chromium: installing Debian's chromium package" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
