-- Each item of the file once: with a single as-of date every row is a
-- different item (the parser rejects repeats), so no sort is needed.
CREATE TEMP TABLE elaas_staging_items ON COMMIT DROP AS
SELECT organisation_id, fiscal_year, item_code, name_th, as_of
FROM elaas_staging
