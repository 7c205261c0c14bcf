SELECT code FROM plan_editions
WHERE first_fiscal_year <= $1 AND (last_fiscal_year IS NULL OR last_fiscal_year >= $1)
ORDER BY first_fiscal_year DESC LIMIT 1
