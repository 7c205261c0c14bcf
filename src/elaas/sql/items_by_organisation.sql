SELECT id, organisation_id, fiscal_year, item_code, name_th
FROM elaas_items WHERE organisation_id = ANY($1) ORDER BY fiscal_year, item_code
