#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Debian's chromium and npm's
# playwright-core and axe-core (pinned in tests/browser/package-lock.json). Idempotent and quick when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    echo "installing chromium (Debian package)" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
    echo "installing playwright-core and axe-core (npm)" >&2
    npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
