-- New items; existing ones are left to rename_items.sql. The anti-join skips
-- the items already held before the insert (a monthly file holds only those),
-- so they cost a lookup each instead of a speculative insertion.
INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
SELECT s.organisation_id, s.fiscal_year, s.item_code, s.name_th
FROM elaas_staging_items s
WHERE NOT EXISTS (SELECT 1 FROM elaas_items i
                  WHERE i.organisation_id = s.organisation_id
                    AND i.fiscal_year = s.fiscal_year
                    AND i.item_code = s.item_code)
ORDER BY s.organisation_id, s.fiscal_year, s.item_code
ON CONFLICT (organisation_id, fiscal_year, item_code) DO NOTHING
