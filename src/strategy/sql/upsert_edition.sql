INSERT INTO plan_editions (code, name_th, first_fiscal_year, last_fiscal_year)
VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE
SET name_th = EXCLUDED.name_th,
    first_fiscal_year = EXCLUDED.first_fiscal_year,
    last_fiscal_year = EXCLUDED.last_fiscal_year
