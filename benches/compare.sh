#!/usr/bin/env bash
# Side-by-side load test of Tidtam and PostGraphile 5 on the same database, in
# the same run: requests/second and p50/p99 latency of three representative
# queries at 1, 8 and 64 concurrent clients, with wrk on loopback.
#
#   benches/compare.sh [TIDTAM_BINARY]
#
# Environment (defaults in brackets):
#   TIDTAM_BIN      the binary, if not given as the argument
#                   [$CARGO_TARGET_DIR/release/tidtam, else ~/.cache/tidtam-target/release/tidtam,
#                    else ./target/release/tidtam, else the debug build of the same places]
#   DATABASE_URL    [postgres://postgres@127.0.0.1/tidtam_national]
#   TIDTAM_PORT     [18080]      POSTGRAPHILE_PORT [15678]
#   DURATION        seconds per measurement [15]
#   CLIENTS         concurrent connections [1 8 64]
#   QUERIES         which of a b c [a b c]
#   WARMUP          seconds of load per query and server before measuring [3]
#   LAO_CODE        the organisation of query (a) [900710001]
#   PROVINCE_CODE   the province of queries (b) and (c) [71]
#   FISCAL_YEAR     [2561]
#   WRK_TIMEOUT     a request slower than this counts as a timeout [60s]
#   ANALYZE         auto: ANALYZE the database first if its tables were never
#                   analysed (autovacuum off, freshly generated); 1: always; 0: never [auto]
#   PG_ROLE         optional role PostGraphile's requests run as (SET LOCAL ROLE),
#                   e.g. tidtam_request to put it under Tidtam's row-level security [unset]
#   OUT_DIR         where logs and raw results go [a new folder under /tmp]
#
# Installs wrk (Debian package) and PostGraphile (npm ci in benches/postgraphile)
# when missing; run it by hand, never in CI. Both servers are stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
load="$here/load"
pgl_dir="$here/postgraphile"

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1/tidtam_national}"
TIDTAM_PORT="${TIDTAM_PORT:-18080}"
POSTGRAPHILE_PORT="${POSTGRAPHILE_PORT:-15678}"
DURATION="${DURATION:-15}"
CLIENTS="${CLIENTS:-1 8 64}"
QUERIES="${QUERIES:-a b c}"
WARMUP="${WARMUP:-3}"
LAO_CODE="${LAO_CODE:-900710001}"
PROVINCE_CODE="${PROVINCE_CODE:-71}"
FISCAL_YEAR="${FISCAL_YEAR:-2561}"
WRK_TIMEOUT="${WRK_TIMEOUT:-60s}"
ANALYZE="${ANALYZE:-auto}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/tidtam-compare.XXXXXX)}"
mkdir -p "$OUT_DIR"

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 1; }

# --- the Tidtam binary -------------------------------------------------------
pick_binary() {
    local profile dir
    for profile in release debug; do
        for dir in ${CARGO_TARGET_DIR:+"$CARGO_TARGET_DIR"} "$HOME/.cache/tidtam-target" "$here/../target"; do
            if [ -x "$dir/$profile/tidtam" ]; then
                printf '%s\n' "$dir/$profile/tidtam"
                return
            fi
        done
    done
}
TIDTAM_BIN="${1:-${TIDTAM_BIN:-$(pick_binary)}}"
[ -n "$TIDTAM_BIN" ] && [ -x "$TIDTAM_BIN" ] \
    || die "no Tidtam binary (build one with 'cargo build --release', or pass its path)"
build_note="release build"
case "$TIDTAM_BIN" in
    */debug/*) build_note="DEBUG build: its figures are not meaningful, use a release build" ;;
esac

# --- tools -----------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is needed ($2)"; }
need curl "apt-get install curl"
need jq "apt-get install jq"
need node "Node.js 20 or newer, for PostGraphile"
need npm "npm, for PostGraphile"
if ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk (Debian package) …"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2 \
        || die "could not install wrk; install it (apt-get install wrk) and run again"
fi

if [ ! -d "$pgl_dir/node_modules/postgraphile" ] \
   || [ "$pgl_dir/package-lock.json" -nt "$pgl_dir/node_modules/.package-lock.json" ]; then
    say "installing PostGraphile (npm ci in benches/postgraphile) …"
    (cd "$pgl_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
pgl_version="$(jq -r .version "$pgl_dir/node_modules/postgraphile/package.json")"
agg_version="$(jq -r .version "$pgl_dir/node_modules/@graphile/pg-aggregates/package.json")"
filter_version="$(jq -r .version "$pgl_dir/node_modules/postgraphile-plugin-connection-filter/package.json")"

# --- the database ----------------------------------------------------------
pg_version="unknown"
if command -v psql >/dev/null 2>&1; then
    psql -X -q -At "$DATABASE_URL" -c 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to $DATABASE_URL"
    pg_version="$(psql -X -At "$DATABASE_URL" -c 'SHOW server_version')"
    never_analysed="$(psql -X -At "$DATABASE_URL" -c "
        SELECT count(*) FROM pg_stat_user_tables
        WHERE schemaname = 'public' AND n_live_tup > 0 AND last_analyze IS NULL AND last_autoanalyze IS NULL")"
    if [ "$ANALYZE" = 1 ] || { [ "$ANALYZE" = auto ] && [ "$never_analysed" -gt 0 ]; }; then
        say "ANALYZE $DATABASE_URL ($never_analysed tables never analysed; without statistics both servers get bad plans) …"
        psql -X -q "$DATABASE_URL" -c 'ANALYZE' >&2
        analyze_note="ran ANALYZE first ($never_analysed tables had no statistics)"
    elif [ "$never_analysed" -gt 0 ]; then
        analyze_note="WARNING: $never_analysed tables were never analysed (ANALYZE=0): plans are guesses"
    else
        analyze_note="tables already analysed"
    fi
else
    analyze_note="psql not found: statistics not checked"
fi

# --- start both servers ----------------------------------------------------
tidtam_pid=""
pgl_pid=""
stop() {
    local pid
    for pid in $tidtam_pid $pgl_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $tidtam_pid $pgl_pid; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
}
trap stop EXIT
trap 'exit 130' INT TERM

port_free() { ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; }
port_free "$TIDTAM_PORT" || die "port $TIDTAM_PORT is in use (set TIDTAM_PORT)"
port_free "$POSTGRAPHILE_PORT" || die "port $POSTGRAPHILE_PORT is in use (set POSTGRAPHILE_PORT)"

TIDTAM_URL="http://127.0.0.1:$TIDTAM_PORT/graphql"
PGL_URL="http://127.0.0.1:$POSTGRAPHILE_PORT/graphql"

say "starting Tidtam: $TIDTAM_BIN ($build_note)"
# --request-timeout: the first aggregate loads the year's frames (about a
# minute at national size), which the default 30 s would cut off.
"$TIDTAM_BIN" serve --database-url "$DATABASE_URL" --listen "127.0.0.1:$TIDTAM_PORT" \
    --rate-limit 0 --request-timeout 900 >"$OUT_DIR/tidtam.log" 2>&1 &
tidtam_pid=$!

say "starting PostGraphile $pgl_version"
(cd "$pgl_dir" && exec env DATABASE_URL="$DATABASE_URL" PORT="$POSTGRAPHILE_PORT" \
    GRAPHILE_ENV=production NODE_ENV=production ${PG_ROLE:+PG_ROLE="$PG_ROLE"} \
    node server.mjs) >"$OUT_DIR/postgraphile.log" 2>&1 &
pgl_pid=$!

wait_ready() { # name pid url-check-command…
    local name=$1 pid=$2; shift 2
    for _ in $(seq 600); do
        kill -0 "$pid" 2>/dev/null || die "$name exited; see $OUT_DIR/$name.log"
        if "$@" >/dev/null 2>&1; then return; fi
        sleep 0.5
    done
    die "$name did not become ready in 5 minutes; see $OUT_DIR/$name.log"
}
wait_ready tidtam "$tidtam_pid" curl -sf --max-time 5 "http://127.0.0.1:$TIDTAM_PORT/readyz"
wait_ready postgraphile "$pgl_pid" curl -sf --max-time 5 -H 'content-type: application/json' \
    -d '{"query":"{__typename}"}' "$PGL_URL"
say "both servers ready (Tidtam pid $tidtam_pid, PostGraphile pid $pgl_pid); output in $OUT_DIR"

# --- request bodies and checks ---------------------------------------------
variables() {
    case $1 in
        a) jq -nc --arg code "$LAO_CODE" --argjson fy "$FISCAL_YEAR" '{code: $code, fiscalYear: $fy}' ;;
        b|c) jq -nc --arg p "$PROVINCE_CODE" --argjson fy "$FISCAL_YEAR" '{provinceCode: $p, fiscalYear: $fy}' ;;
    esac
}
document() { # query server → the .graphql file
    local f
    for f in "$load/queries/$1"-*."$2".graphql; do printf '%s\n' "$f"; done
}
describe() {
    case $1 in
        a) printf '(a) one LAO (%s): approvals of FY %s, nested' "$LAO_CODE" "$FISCAL_YEAR" ;;
        b) printf '(b) province %s: organisations with counts' "$PROVINCE_CODE" ;;
        c) printf '(c) province %s: disbursement of FY %s by LAO' "$PROVINCE_CODE" "$FISCAL_YEAR" ;;
    esac
}
# What each answer holds, to show that both servers return the same rows.
summary_filter() { # query server
    case "$1/$2" in
        a/tidtam) echo '"\(.data.organisation.projects | length) approvals, ordinance budget \(
            [.data.organisation.projects[].ordinanceBudget | tonumber] | add)"' ;;
        a/postgraphile) echo '[.data.organisationByCode.developmentPlansByOrganisationId.nodes[]
            .planProjectsByPlanId.nodes[].budgetApprovalsByPlanProjectId.nodes[]] as $a
            | "\($a | length) approvals, ordinance budget \([$a[].amount | tonumber] | add)"' ;;
        b/tidtam) echo '"\(.data.organisations.totalCount) organisations (\(.data.organisations.nodes | length) listed), \(
            [.data.organisations.nodes[].budgetApprovals.totalCount] | add) approvals"' ;;
        b/postgraphile) echo '"\(.data.allOrganisations.totalCount) organisations (\(.data.allOrganisations.nodes | length) listed), \(
            [.data.allOrganisations.nodes[].developmentPlansByOrganisationId.nodes[].planProjectsByPlanId.totalCount] | add) approvals"' ;;
        c/tidtam) echo '"\(.data.disbursement.groups | length) LAOs, \(.data.disbursement.totals.approvals) approvals, disbursed \(
            .data.disbursement.totals.disbursed), contract \(.data.disbursement.totals.contractAmount)"' ;;
        c/postgraphile) echo '"\(.data.allApprovalFacts.groupedAggregates | length) LAOs, \(
            .data.allApprovalFacts.aggregates.distinctCount.rowId) approvals, disbursed \(
            .data.allApprovalFacts.aggregates.sum.disbursed), contract \(.data.allApprovalFacts.aggregates.sum.contractAmount)"' ;;
    esac
}

url_of() { if [ "$1" = tidtam ]; then echo "$TIDTAM_URL"; else echo "$PGL_URL"; fi; }

check() { # query server: one request, no error, data present; prints the summary
    local q=$1 s=$2 body="$OUT_DIR/$1.$2.json" out="$OUT_DIR/$1.$2.response.json" code
    code="$(curl -s -o "$out" -w '%{http_code}' --max-time 900 -H 'content-type: application/json' \
        -H 'accept: application/json' --data-binary "@$body" "$(url_of "$s")")" || true
    [ "$code" = 200 ] || die "($q) $s answered HTTP $code: $(head -c 500 "$out")"
    jq -e '(.errors | not) and (.data | type == "object" and all(.[]; . != null))' "$out" >/dev/null \
        || die "($q) $s answered with errors or null data (LAO_CODE, PROVINCE_CODE, FISCAL_YEAR?): $(head -c 500 "$out")"
    jq -r "$(summary_filter "$q" "$s")" "$out"
}

checks=""
for q in $QUERIES; do
    for s in tidtam postgraphile; do
        doc="$(document "$q" "$s")"
        [ -f "$doc" ] || die "no document for query $q on $s"
        jq -nc --rawfile query "$doc" --argjson variables "$(variables "$q")" \
            '{query: $query, variables: $variables}' >"$OUT_DIR/$q.$s.json"
        if [ "$s/$q" = tidtam/c ]; then
            say "($q) first Tidtam aggregate: loading the FY $FISCAL_YEAR frames (about a minute at national size, longer on a debug build) …"
        fi
        start=$(date +%s%N)
        line="$(check "$q" "$s")"
        took_ms=$((($(date +%s%N) - start) / 1000000))
        say "($q) $s: $line (first request: $took_ms ms)"
        checks+="- ($q) $s: $line"$'\n'
    done
done

# --- load ------------------------------------------------------------------
run_wrk() { # query server clients seconds → the RESULT line
    local q=$1 s=$2 c=$3 d=$4 t=2
    [ "$c" -lt 2 ] && t=1
    wrk -t"$t" -c"$c" -d"${d}s" --timeout "$WRK_TIMEOUT" -s "$load/post.lua" \
        "$(url_of "$s")" -- "$OUT_DIR/$q.$s.json" >"$OUT_DIR/wrk.$q.$s.c$c.txt" 2>&1 \
        || die "wrk failed: $(cat "$OUT_DIR/wrk.$q.$s.c$c.txt")"
    grep '^RESULT ' "$OUT_DIR/wrk.$q.$s.c$c.txt" || die "no result from wrk: $(cat "$OUT_DIR/wrk.$q.$s.c$c.txt")"
}
field() { # RESULT-line name
    sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}
# wrk stops at the end of its time with requests still in flight; the servers
# (and PostgreSQL) go on with them. Wait until the database connections of the
# two servers are idle again, so that one cell's backlog does not slow the next
# one down. (Other clients of the database are not waited for.)
our_ports() { # local ports of the TCP connections of both servers, as {p,q,…}
    command -v ss >/dev/null 2>&1 || return 0
    ss -Htnp state established 2>/dev/null \
        | grep -E "pid=($tidtam_pid|$pgl_pid)," \
        | awk '{ n = split($3, a, ":"); print a[n] }' | sort -u | paste -sd, - || true
}
settle() {
    command -v psql >/dev/null 2>&1 || { sleep 1; return; }
    local n ports which
    for i in $(seq 240); do
        ports="$(our_ports)"
        if [ -n "$ports" ]; then
            which="client_port = ANY ('{$ports}'::int[])"
        else # no ss: any client of the database, for at most 30 s
            which="true"
            [ "$i" -gt 60 ] && return
        fi
        n="$(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND $which" 2>/dev/null || echo 0)"
        [ "$n" = 0 ] && return
        sleep 0.5
    done
    say "  (the servers' database connections were still busy after 2 minutes; going on)"
}
cells() { # RESULT-line → "req/s | p50 | p99", or a note when no request finished
    if [ "$(field "$1" requests)" = 0 ]; then
        printf '0 (none finished in %s s) | — | —' "$DURATION"
    else
        printf '%s | %s | %s' "$(field "$1" rps)" "$(field "$1" p50_ms)" "$(field "$1" p99_ms)"
    fi
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$WARMUP" -gt 0 ]; then
    for q in $QUERIES; do
        for s in tidtam postgraphile; do
            say "warming up ($q) on $s for ${WARMUP} s …"
            run_wrk "$q" "$s" 8 "$WARMUP" >/dev/null
            settle
        done
    done
fi

rows=""
errors=""
for q in $QUERIES; do
    for c in $CLIENTS; do
        declare -A r=()
        for s in tidtam postgraphile; do
            say "($q) $s, $c clients, ${DURATION} s …"
            r[$s]="$(run_wrk "$q" "$s" "$c" "$DURATION")"
            settle
            e="$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "=");
                        if (kv[1] ~ /^errors_/ && kv[2] > 0) printf "%s ", $i } }' <<<"${r[$s]}")"
            if [ -n "$e" ]; then
                errors+="- ($q) $s at $c clients: $e(of $(field "${r[$s]}" requests) requests)"$'\n'
            fi
        done
        ratio=$(awk -v a="$(field "${r[tidtam]}" rps)" -v b="$(field "${r[postgraphile]}" rps)" \
            'BEGIN { if (a > 0 && b > 0) printf "%.2f×", a / b; else print "—" }')
        rows+="| $q | $c | $(cells "${r[tidtam]}") | $(cells "${r[postgraphile]}") | $ratio |"$'\n'
        unset r
    done
done

hwm() { awk '/^VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "unknown"; }
tidtam_hwm="$(hwm "$tidtam_pid")"
pgl_hwm="$(hwm "$pgl_pid")"

# --- report ----------------------------------------------------------------
report="$OUT_DIR/report.md"
{
    echo "## Tidtam and PostGraphile, side by side"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $load_before before the load, $(cut -d' ' -f1-3 /proc/loadavg) after;"
    echo "PostgreSQL $pg_version ($DATABASE_URL); wrk on loopback, ${DURATION} s per cell after ${WARMUP} s of warm-up"
    echo "per query and server; each cell starts once the previous cell's requests have drained from the database."
    echo
    for q in $QUERIES; do echo "- $(describe "$q")"; done
    echo
    echo "| query | clients | Tidtam req/s | p50 ms | p99 ms | PostGraphile req/s | p50 ms | p99 ms | ratio (Tidtam/PostGraphile req/s) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s' "$rows"
    echo
    echo "Peak RSS (VmHWM): Tidtam $tidtam_hwm; PostGraphile (node) $pgl_hwm."
    echo
    echo "What each returned (one request before the load):"
    echo
    printf '%s' "$checks"
    echo
    echo "Notes:"
    echo
    echo "- Tidtam: \`$TIDTAM_BIN\` ($build_note). PostGraphile $pgl_version (Amber preset) with"
    echo "  @graphile/pg-aggregates $agg_version and postgraphile-plugin-connection-filter $filter_version on Node.js $(node --version)."
    echo "  Both pools hold up to 16 connections. Tidtam writes one log line per request (RUST_LOG as set: ${RUST_LOG:-default}),"
    echo "  PostGraphile none."
    echo "- Row-level security: Tidtam's anonymous requests run as role \`tidtam_request\` under the policies of"
    echo "  migrations/…_auth.sql (published rows only: LAOs whose development plan is not approved show no"
    if [ -n "${PG_ROLE:-}" ]; then
        echo "  projects); PostGraphile's requests ran as role \`$PG_ROLE\` (PG_ROLE), so the same policies applied."
    else
        echo "  projects); PostGraphile connects as the URL's user (postgres, the tables' owner and a superuser), so no policy"
        echo "  applies to it: it reads every row and pays nothing for the policies. So where (b) and (c) differ above, the"
        echo "  difference is the approvals of LAOs whose plan is not approved, which PostGraphile counts and Tidtam does not;"
        echo "  with PG_ROLE=tidtam_request PostGraphile runs under the same policies and returns the same rows."
    fi
    echo "- (a) Tidtam \`organisation.projects\` (DataLoader: one SQL statement for the approvals, then batched e-LAAS"
    echo "  and report look-ups); PostGraphile: organisations → development_plans → plan_projects with an approval of the"
    echo "  year (connection-filter \`some\`) → budget_approvals → elaas_items → newest elaas_snapshots row, and → project_reports."
    echo "  Same approvals and figures; the report status is an enum (SUBMITTED) in Tidtam, text (submitted) in PostGraphile."
    echo "- (b) Tidtam counts each LAO's approvals of the year (\`budgetApprovals(first: 0) { totalCount }\`); PostGraphile"
    echo "  has no organisation→approvals relation and counts the plan projects with an approval of the year"
    echo "  (one approval per plan project in the generated data, so the same number where RLS shows the same rows)."
    echo "- (c) Tidtam: the ids of the approvals the filter keeps are read from the approval_facts view in SQL (under RLS),"
    echo "  then polars sums the year's frames held in memory (loaded by the first request; a write anywhere reloads them);"
    echo "  PostGraphile: pg-aggregates grouped sums over the same approval_facts view, in SQL on every request."
    echo "  Approvals, contract and disbursed are the same sums; Tidtam's budget is the e-LAAS budget where linked, else the"
    echo "  approved amount, and its remaining the e-LAAS remaining, else the amount: pg-aggregates sums columns only, so"
    echo "  PostGraphile returns sum(amount), sum(elaasBudget) and sum(remaining) of linked approvals instead."
    echo "- Statistics: $analyze_note."
    if [ -n "$errors" ]; then
        echo "- Errors counted by wrk (non-2xx answers, timeouts over $WRK_TIMEOUT, socket errors):"
        printf '%s' "$errors" | sed 's/^/  /'
    fi
    echo "- Raw wrk output, server logs and answers: $OUT_DIR"
} >"$report"
cat "$report"
