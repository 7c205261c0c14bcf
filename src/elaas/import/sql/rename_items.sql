-- An item renamed in e-LAAS takes the file's name, unless the database
-- already holds figures newer than the file's for it (an old file re-imported
-- to fill in history does not bring back an old name).
UPDATE elaas_items i
SET name_th = s.name_th
FROM elaas_staging_items s
WHERE i.organisation_id = s.organisation_id
  AND i.fiscal_year = s.fiscal_year
  AND i.item_code = s.item_code
  AND i.name_th <> s.name_th
  AND NOT EXISTS (SELECT 1 FROM elaas_snapshots x WHERE x.elaas_item_id = i.id AND x.as_of > s.as_of)
