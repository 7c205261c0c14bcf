-- New items; existing ones are left to rename_items.sql.
INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
SELECT organisation_id, fiscal_year, item_code, name_th
FROM elaas_staging_items
ORDER BY organisation_id, fiscal_year, item_code
ON CONFLICT (organisation_id, fiscal_year, item_code) DO NOTHING
