-- The staged rows of the items just inserted take their ids.
UPDATE elaas_staged s
SET item_id = i.id
FROM elaas_items i
WHERE s.item_id IS NULL
  AND i.organisation_id = s.organisation_id AND i.fiscal_year = s.fiscal_year AND i.item_code = s.item_code
