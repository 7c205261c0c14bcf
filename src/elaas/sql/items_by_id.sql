SELECT id, organisation_id, fiscal_year, item_code, name_th
FROM elaas_items
WHERE id = ANY($1)
