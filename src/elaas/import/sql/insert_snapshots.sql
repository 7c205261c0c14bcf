-- Every item of the file is new, so none of its figures can be held: a plain
-- insert, without the per-row conflict check of upsert_snapshots.sql.
INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, contract_signed_on,
                             disbursed, remaining, import_id)
SELECT i.id, s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining, $1
FROM elaas_staging s
JOIN elaas_items i
  ON i.organisation_id = s.organisation_id AND i.fiscal_year = s.fiscal_year AND i.item_code = s.item_code
ORDER BY i.id, s.as_of
