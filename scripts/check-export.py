#!/usr/bin/env python3
"""Reads a Tidtam facts export (Parquet) back in Python and compares its
totals with the GraphQL aggregates of the same server.

    pip install polars requests
    python3 scripts/check-export.py http://127.0.0.1:8080 2561 TOKEN [FILTER=VALUE …]

It downloads /export/facts.parquet for the whole country (an analyst's or an
administrator's token), sums it per province with polars, asks
`disbursement(groupBy: [PROVINCE])` over GraphQL, and exits non-zero on any
difference in the number of approvals, the budget, the contract amount, the
disbursed or the remaining money. Money is compared exactly (Decimal in both).

Optional FILTER=VALUE pairs are fields of GraphQL's ApprovalFilter
(`fundingSource=OWN_REVENUE`, `goalCode=140101`, `amountMin=100000.00`…):
sent as query parameters of the export and as `filter` of `disbursement`,
so the two must agree on the same subset too.
"""
import io
import sys
from decimal import Decimal

import polars as pl
import requests

base, year, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
filters = dict(arg.split("=", 1) for arg in sys.argv[4:])
auth = {"Authorization": f"Bearer {token}"}

r = requests.get(
    f"{base}/export/facts.parquet",
    params={"fiscalYear": year, **filters},
    headers=auth,
    timeout=600,
)
r.raise_for_status()
df = pl.read_parquet(io.BytesIO(r.content))
MONEY = ["budget", "contract", "disbursed", "remaining"]
mine = (
    df.group_by("province_code")
    .agg(pl.len().alias("approvals"), *[pl.col(c).sum() for c in MONEY])
    .sort("province_code")
)

query = """query ($y: Int!, $f: ApprovalFilter) { disbursement(fiscalYear: $y, groupBy: [PROVINCE], filter: $f) {
  groups { key { value } approvals budget contractAmount disbursed remaining } } }"""
g = requests.post(
    f"{base}/graphql",
    json={"query": query, "variables": {"y": year, "f": filters}},
    headers=auth,
    timeout=600,
)
g.raise_for_status()
answer = g.json()
if answer.get("errors"):
    sys.exit(f"GraphQL errors: {answer['errors']}")
groups = {grp["key"][0]["value"]: grp for grp in answer["data"]["disbursement"]["groups"]}

bad = 0
for row in mine.iter_rows(named=True):
    api = groups.get(row["province_code"])
    got = (row["approvals"], *[Decimal(row[c]) for c in MONEY])
    want = api and (
        api["approvals"],
        *[Decimal(api[k]) for k in ["budget", "contractAmount", "disbursed", "remaining"]],
    )
    if got != want:
        bad += 1
        print(f"province {row['province_code']}: export {got} != GraphQL {want}")
totals = df.select(*[pl.col(c).sum() for c in MONEY]).row(0)
print(f"{df.height} approvals in {mine.height} provinces; {len(groups)} provinces over GraphQL; {bad} differ")
print("totals: " + ", ".join(f"{c} {Decimal(v):,}" for c, v in zip(MONEY, totals)))
sys.exit(1 if bad or len(groups) != mine.height else 0)
