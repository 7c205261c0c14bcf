INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
VALUES ($1, $2, $3, $4)
RETURNING id
