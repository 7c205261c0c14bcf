#!/usr/bin/env bash
# Runs the 64-way race tests of tests/races.rs (64 concurrent callers on every
# create and on linking one e-LAAS item: exactly one wins, the rest get
# DUPLICATE / ALREADY_LINKED, amendments get consecutive numbers) over and
# over for ten minutes, each round on fresh databases, and stops at the first
# round that fails. CI runs the same tests once (`cargo test`).
#
#   benches/races.sh
#
# Environment (defaults in brackets):
#   TIDTAM_RACE_SECONDS  how long to keep racing [600]
#   PROFILE              release or debug [release]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidtam-target}"
seconds="${TIDTAM_RACE_SECONDS:-600}"
profile=()
if [ "${PROFILE:-release}" = release ]; then profile=(--release); fi
cargo test "${profile[@]}" --test races --no-run
end=$((SECONDS + seconds))
rounds=0
while [ "$SECONDS" -lt "$end" ]; do
  if ! cargo test -q "${profile[@]}" --test races >/tmp/tidtam-races-round.log 2>&1; then
    cat /tmp/tidtam-races-round.log
    echo "races: round $((rounds + 1)) failed after $rounds clean rounds" >&2
    exit 1
  fi
  rounds=$((rounds + 1))
done
tests=$(grep -c '^#\[tokio::test' tests/races.rs)
echo "races: $rounds rounds of $tests race tests in ${seconds} s, all clean"
