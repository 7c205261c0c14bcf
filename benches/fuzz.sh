#!/usr/bin/env bash
# Fuzzes the e-LAAS readers (CSV, .xlsx and the row checks behind them) for
# ten minutes: the three generators of tests/elaas_fuzz.rs (arbitrary bytes,
# mutated CSV files, mutated workbooks) run side by side, each until the time
# is up, then the regression fixtures of tests/fixtures/fuzz are replayed.
# CI runs the same test in its short form (128 cases a generator, fixed seed).
#
#   benches/fuzz.sh
#
# Environment (defaults in brackets):
#   TIDTAM_FUZZ_SECONDS  seconds per generator [600]
#   TIDTAM_FUZZ_SEED     the run's seed; another seed, other cases [19]
#   TIDTAM_FUZZ_CASES    cases per batch (the time is checked between batches) [128]
#   PROFILE              release or debug [release]
#
# Each generator prints its cases, megabytes and cases/s at the end. A
# failing input is shrunk and written to
# $CARGO_TARGET_DIR/tmp/elaas-fuzz-failures/: fix the reader, then keep the
# file in tests/fixtures/fuzz named <what>.<CODE of its last error>.<ext>.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tidtam-target}"
export TIDTAM_FUZZ_SECONDS="${TIDTAM_FUZZ_SECONDS:-600}"
profile=()
if [ "${PROFILE:-release}" = release ]; then profile=(--release); fi
# Four test threads: the three generators at once, beside the replay.
cargo test "${profile[@]}" --test elaas_fuzz -- --nocapture --test-threads 4
