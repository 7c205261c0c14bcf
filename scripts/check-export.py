#!/usr/bin/env python3
"""Reads a Tidtam facts export (Parquet) back in Python and compares its
totals with the GraphQL aggregates of the same server.

    pip install polars requests
    python3 scripts/check-export.py http://127.0.0.1:8080 2561 TOKEN

It downloads /export/facts.parquet for the whole country (an analyst's or an
administrator's token), sums it per province with polars, asks
`disbursement(groupBy: [PROVINCE])` over GraphQL, and exits non-zero on any
difference. Money is compared exactly (Decimal in both).
"""
import io
import sys
from decimal import Decimal

import polars as pl
import requests

base, year, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
auth = {"Authorization": f"Bearer {token}"}

r = requests.get(f"{base}/export/facts.parquet", params={"fiscalYear": year}, headers=auth, timeout=600)
r.raise_for_status()
df = pl.read_parquet(io.BytesIO(r.content))
mine = (
    df.group_by("province_code")
    .agg(pl.len().alias("approvals"), pl.col("contract").sum(), pl.col("disbursed").sum(), pl.col("remaining").sum())
    .sort("province_code")
)

query = """query ($y: Int!) { disbursement(fiscalYear: $y, groupBy: [PROVINCE]) {
  groups { key { value } approvals contractAmount disbursed remaining } } }"""
g = requests.post(f"{base}/graphql", json={"query": query, "variables": {"y": year}}, headers=auth, timeout=600)
g.raise_for_status()
groups = {grp["key"][0]["value"]: grp for grp in g.json()["data"]["disbursement"]["groups"]}

bad = 0
for row in mine.iter_rows(named=True):
    api = groups.get(row["province_code"])
    got = (row["approvals"], Decimal(row["contract"]), Decimal(row["disbursed"]), Decimal(row["remaining"]))
    want = api and (api["approvals"], Decimal(api["contractAmount"]), Decimal(api["disbursed"]), Decimal(api["remaining"]))
    if got != want:
        bad += 1
        print(f"province {row['province_code']}: export {got} != GraphQL {want}")
print(f"{df.height} approvals in {mine.height} provinces; {len(groups)} provinces over GraphQL; {bad} differ")
sys.exit(1 if bad or len(groups) != mine.height else 0)
