-- An item renamed in e-LAAS takes the file's name as of the file's newest
-- date for it, unless the database already holds figures newer than that
-- date (an old file re-imported to fill in history does not bring back an old
-- name). Only items with a differing name in some row are looked at.
UPDATE elaas_items i
SET name_th = x.name_th
FROM (SELECT DISTINCT ON (item_id) item_id, name_th, as_of
      FROM elaas_staged
      WHERE item_id IN (SELECT item_id FROM elaas_staged WHERE held_name <> name_th)
      ORDER BY item_id, as_of DESC, line DESC) x
WHERE i.id = x.item_id
  AND i.name_th <> x.name_th
  AND NOT EXISTS (SELECT 1 FROM elaas_snapshots f WHERE f.elaas_item_id = i.id AND f.as_of > x.as_of)
