#!/usr/bin/env bash
# Property-based tests of the HTTP API against its own OpenAPI document (Schemathesis,
# from PyPI): starts `verity serve --demo` on a loopback port with a fresh SQLite file
# and known tokens, generates requests for every operation of /api/openapi.json and
# fails when a response is a 5xx or does not match the document.
#
#   bash .ci/schemathesis.sh            # uses the debug build (built when needed)
#   VERITY_BIN=target/release/verity bash .ci/schemathesis.sh
#
# Bounds (environment): SCHEMATHESIS_MAX_EXAMPLES (default 25 per operation) and
# SCHEMATHESIS_MAX_TIME (default 180 s for the whole run). The report lands in
# artifacts/schemathesis/ (JUnit XML and the console output).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/verity-target}

# Schemathesis in its own virtual environment under the cache directory (pinned).
version=4.32.5
venv=${XDG_CACHE_HOME:-$HOME/.cache}/verity-schemathesis
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        # Debian keeps venv's pip bootstrap in its own package.
        echo "installing python3-venv (Debian package)" >&2
        if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

bin=${VERITY_BIN:-}
if [[ -z $bin ]]; then
    cargo build --quiet
    bin=$CARGO_TARGET_DIR/debug/verity
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export VERITY_INGEST_TOKEN=schemathesis-ingest-token
export VERITY_API_TOKEN=schemathesis-status-token
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Rate limits out of the way: the generator sends far more than a customer would.
DATABASE_URL=$work/verity.db RUST_LOG=warn \
    VERITY_CHAT_RATE_PER_IP=1000000 VERITY_CHAT_RATE_PER_SESSION=1000000 \
    "$bin" serve --demo --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
ready() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2)' "$base" 2>/dev/null; }
for _ in $(seq 1 240); do
    if ready; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; exit 1; fi
    sleep 0.5
done
ready || { echo "the server did not become ready"; cat "$work/server.log"; exit 1; }

report=$root/artifacts/schemathesis
mkdir -p "$report"
# One worker: with two, Hypothesis describing a filtered strategy parses Schemathesis's
# source in two threads at once, and CPython 3.11's parser fails ("AST constructor
# recursion depth mismatch"), a crash of the tool reported as a runtime error.
set +e
VERITY_SCHEMATHESIS_BASE=$base PYTHONPATH=$root/.ci SCHEMATHESIS_HOOKS=schemathesis_hooks \
    "$venv/bin/schemathesis" --config-file "$root/.ci/schemathesis.toml" run "$base/api/openapi.json" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" --max-time "${SCHEMATHESIS_MAX_TIME:-180}" \
    ${SCHEMATHESIS_ARGS:-} --seed "${SCHEMATHESIS_SEED:-22}" --workers 1 --request-timeout 20 \
    --report junit --report-junit-path "$report/junit.xml" 2>&1 | tee "$report/output.txt"
status=${PIPESTATUS[0]}
set -e
if grep -q -E 'panicked|ERROR' "$work/server.log"; then
    echo "the server logged errors:"; grep -E 'panicked|ERROR' "$work/server.log" | head -20
    status=1
fi
exit "$status"
