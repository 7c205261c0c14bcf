-- Every e-LAAS snapshot of a fiscal year (the e-LAAS history export), money
-- in satang so that it stays exact on its way into a frame.
SELECT o.code AS organisation_code, o.province_code, i.item_code, i.name_th AS item_name,
       s.as_of, (s.budget * 100)::bigint AS budget, (s.contract_amount * 100)::bigint AS contract_amount,
       s.contract_signed_on, (s.disbursed * 100)::bigint AS disbursed, (s.remaining * 100)::bigint AS remaining
FROM elaas_snapshots s
JOIN elaas_items i ON i.id = s.elaas_item_id
JOIN organisations o ON o.id = i.organisation_id
WHERE i.fiscal_year = $1
  AND ($2::text IS NULL OR o.province_code = $2)
  AND ($3::text IS NULL OR o.code = $3)
ORDER BY o.code, i.item_code, s.as_of
