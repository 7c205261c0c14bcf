-- Each staged row with the item Tidtam holds for it (none: a new item) and
-- that item's name: the one join with the items that the rest of the merge
-- works from.
CREATE TEMP TABLE elaas_staged ON COMMIT DROP AS
SELECT s.*, i.id AS item_id, i.name_th AS held_name
FROM elaas_staging s
LEFT JOIN elaas_items i
  ON i.organisation_id = s.organisation_id AND i.fiscal_year = s.fiscal_year AND i.item_code = s.item_code
