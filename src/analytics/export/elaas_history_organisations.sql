-- The organisations of the e-LAAS history export of a fiscal year, in the
-- file's order: the export reads their snapshots a page of organisations at a
-- time.
SELECT DISTINCT o.code
FROM elaas_items i
JOIN organisations o ON o.id = i.organisation_id
WHERE i.fiscal_year = $1
  AND ($2::text IS NULL OR o.province_code = $2)
  AND ($3::text IS NULL OR o.code = $3)
ORDER BY o.code
