-- The fiscal years Tidtam holds plans for, and which of the codes asked
-- about exist. $1: province codes, $2: organisation codes, $3: the last
-- year of the national strategy (an edition still in force runs to it).
--
-- Only approved (published) development plans count, so the window is the
-- same for every caller whatever row-level security hides; a budget can be
-- approved only in an approved plan's years anyway.
WITH plan_years AS (
    SELECT first_year, last_year FROM development_plans WHERE approved_on IS NOT NULL
    UNION ALL
    SELECT first_fiscal_year, coalesce(last_fiscal_year, greatest(first_fiscal_year, $3::int))
    FROM plan_editions
)
SELECT (SELECT min(first_year) FROM plan_years) AS first_year,
       (SELECT max(last_year) FROM plan_years) AS last_year,
       ARRAY(SELECT code FROM provinces WHERE code = ANY($1::text[])) AS provinces,
       ARRAY(SELECT code FROM organisations WHERE code = ANY($2::text[])) AS organisations
