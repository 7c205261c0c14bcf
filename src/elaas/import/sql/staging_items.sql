-- Each item of the file once, with its name as of the file's newest date for it.
CREATE TEMP TABLE elaas_staging_items ON COMMIT DROP AS
SELECT DISTINCT ON (organisation_id, fiscal_year, item_code)
       organisation_id, fiscal_year, item_code, name_th, as_of
FROM elaas_staging
ORDER BY organisation_id, fiscal_year, item_code, as_of DESC, line DESC
