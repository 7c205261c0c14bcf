-- Every row of the file is a new item, with the id given in staging.
INSERT INTO elaas_items (id, organisation_id, fiscal_year, item_code, name_th)
OVERRIDING SYSTEM VALUE
SELECT item_id, organisation_id, fiscal_year, item_code, name_th
FROM elaas_staging
