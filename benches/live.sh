#!/usr/bin/env bash
# Live analytics at national size (issue 24): readers of the aggregates with
# and without a stream of one-row writes, the staleness of their answers, a
# one-row save's latency during a long e-LAAS import, cold start and peak RSS,
# in one run (benches/live.py explains each phase).
#
#   benches/live.sh [TIDTAM_BINARY]
#
# Environment (defaults in brackets):
#   DATABASE_URL       [postgres://postgres@127.0.0.1/tidtam_national]; made with
#                      `tidtam generate --scale national --years 1 --seed 1` when missing
#   FISCAL_YEAR        [2561]   PROVINCE_CODE [71]   TIDTAM_PORT [18090]
#   SECONDS_PER_PHASE  [60]     READERS [2]          WRITES_PER_SECOND [5]
#   OUT_DIR            [a new folder under /tmp]
# Run by hand, never in CI: it needs the national dataset (about 20 GB of disk).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1/tidtam_national}"
export OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/tidtam-live.XXXXXX)}"
target="${CARGO_TARGET_DIR:-$HOME/.cache/tidtam-target}"
export TIDTAM_BIN="${1:-${TIDTAM_BIN:-$target/release/tidtam}}"
[ -x "$TIDTAM_BIN" ] || { echo "no binary at $TIDTAM_BIN: cargo build --release first" >&2; exit 1; }

venv="${TIDTAM_BENCH_VENV:-$HOME/.cache/tidtam-bench-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import psycopg, requests' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'psycopg[binary]==3.2.13' 'requests==2.32.5'
fi

db="${DATABASE_URL##*/}"
if ! psql "${DATABASE_URL%/*}/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  echo "generating the national dataset into $db (about 2 minutes)" >&2
  psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$db\""
  "$TIDTAM_BIN" generate --scale national --years 1 --seed 1
fi
echo "results in $OUT_DIR" >&2
exec "$venv/bin/python" "$here/live.py"
