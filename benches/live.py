#!/usr/bin/env python3
"""Live analytics at national size (issue 24), in one run: benches/live.sh runs it.

Phases, against one server started here on a national database:
  1. cold start: from the process's start to the first national aggregate
     answered (and the server's RSS then), with no saved frames; then a
     restart, which restores the frames the first start saved;
  2. readers alone: the tracking report of one province and of the nation,
     disbursement by province and the performance scores, in a loop;
  3. the same readers under a writer stream: WRITES_PER_SECOND one-row saves
     of project reports of random LAOs (as officers' saves). Every answer's
     dataVersion is matched against the writes committed before it began:
     the staleness of an answer is how long the oldest write it lacks had
     been committed when it started;
  4. one long e-LAAS import (next month's national file, `tidtam import
     elaas`) while the writer stream goes on: each one-row save's latency,
     against the same saves in phase 3 (no import);
  5. every export once (facts, tracking, scores, e-LAAS history of a
     province), then the server's peak RSS (VmHWM).
Prints one table; raw numbers go to OUT_DIR/live.json.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time

import psycopg
import requests

URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/tidtam_national")
BIN = os.environ["TIDTAM_BIN"]
PORT = int(os.environ.get("TIDTAM_PORT", "18090"))
YEAR = int(os.environ.get("FISCAL_YEAR", "2561"))
PROVINCE = os.environ.get("PROVINCE_CODE", "71")
SECONDS = float(os.environ.get("SECONDS_PER_PHASE", "60"))
READERS = int(os.environ.get("READERS", "2"))
WRITES_PER_SECOND = float(os.environ.get("WRITES_PER_SECOND", "5"))
OUT_DIR = os.environ.get("OUT_DIR", "/tmp")
BASE = f"http://127.0.0.1:{PORT}"

QUERIES = {
    "tracking, one province": (
        "query ($y: Int!, $p: String) { monitoringReport(fiscalYear: $y, provinceCode: $p) "
        "{ dataVersion rows { organisationCode completed } provinceTotals { completed } } }",
        {"p": PROVINCE},
    ),
    "tracking, nation": (
        "query ($y: Int!) { monitoringReport(fiscalYear: $y) { dataVersion nationalTotals { completed disbursed } } }",
        {},
    ),
    "disbursement by province": (
        "query ($y: Int!) { disbursement(fiscalYear: $y, groupBy: [PROVINCE]) "
        "{ dataVersion groups { key { value } budget disbursed } } }",
        {},
    ),
    "rates with monthly curve, nation": (
        "query ($y: Int!) { rates(fiscalYear: $y) { dataVersion approvals disbursementRate "
        "months { month disbursed } } }",
        {},
    ),
    "disbursement by month, nation": (
        "query ($y: Int!) { disbursement(fiscalYear: $y, groupBy: [MONTH]) "
        "{ dataVersion groups { key { value } disbursed } } }",
        {},
    ),
    "scores, one province": (
        "query ($y: Int!, $p: String) { performanceScores(fiscalYear: $y, provinceCode: $p, first: 100) "
        "{ edges { node { organisationCode score } } } }",
        {"p": PROVINCE},
    ),
}


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def post(session, name):
    query, variables = QUERIES[name]
    started = time.monotonic()
    r = session.post(f"{BASE}/graphql", json={"query": query, "variables": {"y": YEAR, **variables}}, timeout=120)
    took = time.monotonic() - started
    body = r.json()
    if r.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{name}: {r.status_code} {json.dumps(body)[:300]}")
    data = next(iter(body["data"].values()))
    return started, took, data.get("dataVersion")


class Writes:
    """Commits (seq, time) of the writer's saves, for staleness."""

    def __init__(self):
        self.lock = threading.Lock()
        self.done = []  # (commit time, seq)
        self.latencies = []

    def missing_since(self, version, started):
        """How long the oldest write the answer lacks had been committed."""
        with self.lock:
            lacking = [t for (t, seq) in self.done if seq > version and t < started]
        return started - min(lacking) if lacking else 0.0


def writer(stop, writes, reports):
    """One-row saves of random LAOs' reports at WRITES_PER_SECOND."""
    with psycopg.connect(URL, autocommit=False) as conn:
        next_at = time.monotonic()
        while not stop.is_set():
            next_at += 1 / WRITES_PER_SECOND
            report = random.choice(reports)
            started = time.monotonic()
            with conn.cursor() as cur:
                cur.execute("UPDATE project_reports SET problems = %s WHERE id = %s",
                            (f"บันทึก {started:.3f}", report))
                cur.execute("SELECT max(seq) FROM data_changes WHERE xid = pg_current_xact_id()")
                seq = cur.fetchone()[0]
            conn.commit()
            done = time.monotonic()
            with writes.lock:
                writes.done.append((done, seq))
                writes.latencies.append(done - started)
            time.sleep(max(0.0, next_at - time.monotonic()))


def readers(seconds, writes=None):
    """READERS threads cycling through QUERIES; latencies per query and staleness."""
    stop = time.monotonic() + seconds
    results = {name: [] for name in QUERIES}
    stale = []
    errors = []

    def run():
        with requests.Session() as s:
            while time.monotonic() < stop:
                for name in QUERIES:
                    try:
                        started, took, version = post(s, name)
                    except Exception as e:  # counted, the run goes on
                        errors.append(str(e))
                        continue
                    results[name].append(took)
                    if writes is not None and version is not None:
                        stale.append(writes.missing_since(version, started))

    threads = [threading.Thread(target=run) for _ in range(READERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, stale, errors


def rss(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def next_month_file(path):
    """Next month's national e-LAAS file: every item of the year, a month on."""
    with psycopg.connect(URL) as conn, conn.cursor() as cur, open(path, "wb") as out:
        out.write("รหัส อปท.,ปีงบประมาณ,รหัสรายการ,ชื่อรายการ,งบตามข้อบัญญัติ/เทศบัญญัติ,งบตามสัญญา,"
                  "วันที่ลงนามสัญญา,เบิกจ่าย,คงเหลือ,ข้อมูล ณ วันที่\n".encode())
        sql = f"""COPY (
            SELECT o.code, i.fiscal_year, i.item_code, i.name_th, s.budget, s.contract_amount,
                   coalesce(to_char(s.contract_signed_on, 'DD/MM/') || (extract(year FROM s.contract_signed_on)::int + 543), ''),
                   least(s.budget, s.disbursed + 1), s.budget - least(s.budget, s.disbursed + 1),
                   to_char(m.next, 'DD/MM/') || (extract(year FROM m.next)::int + 543)
            FROM elaas_items i JOIN organisations o ON o.id = i.organisation_id
            CROSS JOIN (SELECT (max(as_of) + interval '1 month')::date AS next FROM elaas_snapshots) m
            JOIN LATERAL (SELECT * FROM elaas_snapshots s WHERE s.elaas_item_id = i.id ORDER BY as_of DESC LIMIT 1) s ON true
            WHERE i.fiscal_year = {YEAR}) TO STDOUT (FORMAT csv)"""
        with cur.copy(sql) as copy:
            for block in copy:
                out.write(block)


def first_answer(server, started):
    """Waits for the server's first national aggregate."""
    with requests.Session() as s:
        while True:
            try:
                post(s, "tracking, nation")
                return
            except Exception:
                if server.poll() is not None:
                    sys.exit(f"the server stopped: see {OUT_DIR}/tidtam-live.log")
                if time.monotonic() - started > 600:
                    sys.exit("no national answer within 600 s")
                time.sleep(0.05)


def wait_for_save(env):
    """Waits until the server has saved the year's frames (saved.json)."""
    folder = env["TIDTAM_FRAMES_DIR"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        for root, _, files in os.walk(folder):
            if "saved.json" in files and f"fy{YEAR}" in root:
                return
        time.sleep(0.5)
    sys.exit("the frames were not saved within 300 s")


def analyst_token(env):
    """An API token of a central analyst (created once per database)."""
    user = "bench-live-analyst"
    subprocess.run([BIN, "user", "add", user, "--role", "central_analyst", "--no-password"],
                   env=env, capture_output=True, text=True)
    made = subprocess.run([BIN, "token", "create", user, "--name", "benches/live.py", "--days", "1"],
                          env=env, capture_output=True, text=True, check=True)
    return made.stdout.strip().split()[-1]


def summary(results):
    return {name: {"n": len(v), "p50_ms": 1000 * pct(v, 50), "p99_ms": 1000 * pct(v, 99)}
            for name, v in results.items()}


class Rss(threading.Thread):
    """Samples the server's RSS every 0.2 s; the highest per phase."""

    def __init__(self):
        super().__init__(daemon=True)
        self.pid, self.phase, self.peaks = None, "start", {}

    def run(self):
        while True:
            if self.pid:
                try:
                    mib = rss(self.pid, "VmRSS")
                    if mib == mib:  # not NaN (the process is gone)
                        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), round(mib))
                except OSError:
                    pass
            time.sleep(0.2)


def main():
    out = {}
    sampler = Rss()
    sampler.start()
    with psycopg.connect(URL) as conn:
        reports = [r[0] for r in conn.execute(
            "SELECT r.id FROM project_reports r JOIN budget_approvals ba ON ba.id = r.budget_approval_id "
            "WHERE ba.fiscal_year = %s ORDER BY random() LIMIT 20000", (YEAR,))]
    assert reports, f"no reports of {YEAR} in {URL}"
    log = open(os.path.join(OUT_DIR, "tidtam-live.log"), "w")
    env = dict(os.environ, DATABASE_URL=URL, TIDTAM_LISTEN=f"127.0.0.1:{PORT}",
               TIDTAM_RATE_LIMIT="100000000", POLARS_MAX_THREADS="2",
               TIDTAM_FRAMES_DIR=os.path.join(OUT_DIR, "frames"))
    started = time.monotonic()
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    sampler.pid, sampler.phase = server.pid, "cold start"
    try:
        first_answer(server, started)
        out["cold start to first national answer (s)"] = time.monotonic() - started
        out["RSS after cold start (MiB)"] = rss(server.pid, "VmRSS")
        # The frames are saved once loaded; a restart restores them.
        wait_for_save(env)
        server.terminate()
        server.wait()
        started = time.monotonic()
        server = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
        sampler.pid, sampler.phase = server.pid, "restart"
        first_answer(server, started)
        out["restart to first national answer (s)"] = time.monotonic() - started
        out["RSS after restart (MiB)"] = rss(server.pid, "VmRSS")

        sampler.phase = "readers alone"
        quiet, _, quiet_errors = readers(SECONDS)
        out["readers alone"] = summary(quiet)

        stop = threading.Event()
        writes = Writes()
        w = threading.Thread(target=writer, args=(stop, writes, reports))
        w.start()
        sampler.phase = "readers under writes"
        busy, stale, busy_errors = readers(SECONDS, writes)
        out["readers under writes"] = summary(busy)
        out["staleness max (s)"] = max(stale) if stale else float("nan")
        out["answers lacking a write committed > 2 s before"] = sum(1 for s in stale if s > 2)
        out["answers checked for staleness"] = len(stale)
        with writes.lock:
            plain = list(writes.latencies)
            writes.latencies.clear()

        path = os.path.join(OUT_DIR, "elaas-next-month.csv")
        next_month_file(path)
        t = time.monotonic()
        sampler.phase = "import, then the frames read whole"
        imp = subprocess.run([BIN, "import", "elaas", path], env=env, capture_output=True, text=True)
        out["import (s)"] = time.monotonic() - t
        out["import output"] = (imp.stdout + imp.stderr).strip()[-300:]
        stop.set()
        w.join()
        during = list(writes.latencies)
        out["one-row save alone"] = {"n": len(plain), "p50_ms": 1000 * pct(plain, 50), "p99_ms": 1000 * pct(plain, 99)}
        out["one-row save during the import"] = {
            "n": len(during), "p50_ms": 1000 * pct(during, 50), "p99_ms": 1000 * pct(during, 99),
            "max_ms": 1000 * max(during, default=float("nan"))}

        # Every export, nationally, as a central analyst (a province for the
        # e-LAAS history, which is written a page of organisations at a time).
        token = analyst_token(env)
        sampler.phase = "exports"
        auth = {"Authorization": f"Bearer {token}"}
        for dataset, params in [("facts", {}), ("tracking", {}), ("scores", {}),
                                ("elaas-history", {"provinceCode": PROVINCE})]:
            for fmt in ["csv", "parquet"]:
                t = time.monotonic()
                r = requests.get(f"{BASE}/export/{dataset}.{fmt}", params={"fiscalYear": YEAR, **params},
                                 headers=auth, timeout=600)
                out[f"export {dataset}.{fmt}"] = (
                    f"{len(r.content)} bytes in {time.monotonic() - t:.1f} s" if r.ok else f"HTTP {r.status_code}")
        out["peak RSS since the restart (MiB)"] = rss(server.pid, "VmHWM")
        out["highest RSS by phase (MiB)"] = dict(sampler.peaks)
        out["reader errors"] = quiet_errors[:5] + busy_errors[:5]
    finally:
        server.terminate()
        server.wait()
    with open(os.path.join(OUT_DIR, "live.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    ratio = {name: out["readers under writes"][name]["p50_ms"] / out["readers alone"][name]["p50_ms"]
             for name in QUERIES}
    print("p50 under writes ÷ p50 alone:", {k: round(v, 2) for k, v in ratio.items()})
    print("save p99 during import ÷ save p99 alone:",
          round(out["one-row save during the import"]["p99_ms"] / out["one-row save alone"]["p99_ms"], 2))


if __name__ == "__main__":
    main()
