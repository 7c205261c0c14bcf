-- Items new to Tidtam, each once, with its name as of the file's newest date
-- for it.
INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
SELECT organisation_id, fiscal_year, item_code, name_th
FROM (SELECT DISTINCT ON (organisation_id, fiscal_year, item_code)
             organisation_id, fiscal_year, item_code, name_th
      FROM elaas_staged
      WHERE item_id IS NULL
      ORDER BY organisation_id, fiscal_year, item_code, as_of DESC, line DESC) new
ORDER BY organisation_id, fiscal_year, item_code
