SELECT fiscal_year, stage, due_on, note FROM reporting_deadlines
WHERE $1::int IS NULL OR fiscal_year = $1
ORDER BY fiscal_year, due_on, stage
