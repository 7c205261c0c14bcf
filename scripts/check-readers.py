#!/usr/bin/env python3
"""Opens every Parquet export of a Tidtam server with the BI readers that are
installed (pyarrow, any version from 12; DuckDB) and checks the column types
that docs/bi.md promises: dates are DATE, money is DECIMAL(14,2), text is a
plain string (never Arrow's string_view, which pyarrow 14 cannot read), the
tracking export has the same columns in every year, and each file's
Content-Disposition names the dataset, year, place and data version.

    pip install pyarrow duckdb requests              # the current readers
    pip install 'pyarrow==14.*' 'numpy<2' requests   # an old reader
    python3 scripts/check-readers.py http://127.0.0.1:8080 71 2564 2563

Arguments: the server, a province code, then fiscal years (BE; the first is
checked in full, every one for the tracking export's columns). It prints one
line per reader and file, then a summary line `READ pyarrow=14.0.2 duckdb=-
files=N problems=M`, and exits non-zero on any problem.
"""
import io
import re
import os
import sys
import tempfile

import requests

try:
    import pyarrow
    import pyarrow.parquet as pq
except ImportError:  # DuckDB alone still checks the files
    pyarrow = None
try:
    import duckdb
except ImportError:
    duckdb = None

base, province, years = sys.argv[1], sys.argv[2], [int(y) for y in sys.argv[3:]]
problems = []
files = 0

# Column -> the type every reader must see (pyarrow's name, DuckDB's name).
DATE = ("date32[day]", "DATE")
MONEY = ("decimal128(14, 2)", "DECIMAL(14,2)")
EXPECTED = {
    "facts": {
        "approved_on": DATE,
        "elaas_as_of": DATE,
        "contract_signed_on": DATE,
        "amount": MONEY,
        "budget": MONEY,
        "disbursed": MONEY,
        "project_name": ("large_string", "VARCHAR"),
        "province_name": ("large_string", "VARCHAR"),
    },
    "elaas-history": {
        "as_of": DATE,
        "contract_signed_on": DATE,
        "budget": MONEY,
        "item_name": ("large_string", "VARCHAR"),
    },
    "tracking": {
        "plan_first_year": ("int32", "INTEGER"),
        "plan_projects_year_1": ("int64", "BIGINT"),
        "plan_projects_year_5": ("int64", "BIGINT"),
    },
    "scores": {"organisation_name": ("large_string", "VARCHAR")},
}
NAME = re.compile(r'attachment; filename="tidtam-([a-z-]+)-fy(\d{4})-province-(\w+)-v(\d+)\.parquet"')


def problem(text):
    problems.append(text)
    print("PROBLEM " + text)


def download(dataset, year):
    r = requests.get(
        f"{base}/export/{dataset}.parquet",
        params={"fiscalYear": year, "provinceCode": province},
        timeout=600,
    )
    r.raise_for_status()
    disposition = r.headers.get("content-disposition", "")
    m = NAME.fullmatch(disposition)
    if not m or m.group(1) != dataset or int(m.group(2)) != year or m.group(3) != province:
        problem(f"{dataset} {year}: Content-Disposition {disposition!r}")
    return r.content


def check_pyarrow(dataset, year, data):
    table = pq.read_table(io.BytesIO(data))
    types = {f.name: str(f.type) for f in table.schema}
    for name, (want, _) in EXPECTED[dataset].items():
        # pyarrow reads a plain text column as string or large_string.
        ok = types.get(name) == want or (want == "large_string" and types.get(name) == "string")
        if not ok:
            problem(f"pyarrow {dataset} {year}: {name} is {types.get(name)}, not {want}")
    views = [n for n, t in types.items() if "view" in t]
    if views:
        problem(f"pyarrow {dataset} {year}: view types in {views}")
    print(f"pyarrow {pyarrow.__version__} {dataset} {year}: {table.num_rows} rows, {len(types)} columns")
    return list(types)


def check_duckdb(dataset, year, data):
    with tempfile.NamedTemporaryFile(suffix=".parquet") as f:
        f.write(data)
        f.flush()
        con = duckdb.connect()
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f.name}')").fetchall()
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{f.name}')").fetchone()[0]
        con.close()
    types = {row[0]: row[1] for row in described}
    for name, (_, want) in EXPECTED[dataset].items():
        if types.get(name) != want:
            problem(f"duckdb {dataset} {year}: {name} is {types.get(name)}, not {want}")
    print(f"duckdb {duckdb.__version__} {dataset} {year}: {rows} rows, {len(types)} columns")
    return list(types)


def check(dataset, year):
    global files
    data = download(dataset, year)
    files += 1
    columns = None
    if pyarrow is not None:
        columns = check_pyarrow(dataset, year, data)
    if duckdb is not None:
        columns = check_duckdb(dataset, year, data)
    return columns


for dataset in EXPECTED:
    check(dataset, years[0])
# The tracking export keeps one shape, so yearly files append.
shapes = {year: check("tracking", year) for year in years[1:]}
first = check("tracking", years[0]) if shapes else None
for year, columns in shapes.items():
    if columns != first:
        problem(f"tracking {year} has columns {columns}, {years[0]} has {first}")

print(
    f"READ pyarrow={pyarrow.__version__ if pyarrow else '-'} "
    f"duckdb={duckdb.__version__ if duckdb else '-'} files={files} problems={len(problems)}"
)
# os._exit, not sys.exit: pyarrow 14's thread pool can abort the interpreter's
# teardown ("terminate called without an active exception") after every file
# was read; the verdict is already printed, so skip the teardown.
sys.stdout.flush()
sys.stderr.flush()
os._exit(1 if problems else 0)
