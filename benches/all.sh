#!/usr/bin/env bash
# Runs every benchmark of one release build in turn, for the table at the top of
# BENCHMARKS.md: builds once, then runs each bench binary with nothing else of ours on
# the cores. Logs go to ${VERITY_BENCH_LOGS:-target/bench-logs}/NAME.log.
#   bash benches/all.sh                 # every bench
#   bash benches/all.sh chat_load nlu   # some
set -euo pipefail
cd "$(dirname "$0")/.."
benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(chat_load chat_load_flood reconcile nlu grounding llm_turn status_api ingest webhook_load
    notices)
fi
logs=${VERITY_BENCH_LOGS:-target/bench-logs}
mkdir -p "$logs"
cargo build --release --benches --bins
for b in "${benches[@]}"; do
  echo "== $b $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
  case $b in
    # The chat load with 20 connections posting wrong console logins beside it.
    chat_load_flood) VERITY_BENCH_LOGIN_FLOOD=20 cargo bench --bench chat_load >"$logs/$b.log" 2>&1 ;;
    *) cargo bench --bench "$b" >"$logs/$b.log" 2>&1 ;;
  esac
  tail -n 4 "$logs/$b.log"
done
