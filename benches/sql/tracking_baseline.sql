-- The tracking report's counts in plain SQL (the baseline of the analytics
-- benchmark): one row per organisation of province $2 (every province when
-- null) for fiscal year $1.
WITH plan AS (
    SELECT DISTINCT ON (organisation_id) * FROM development_plans
    WHERE $1 BETWEEN first_year AND last_year
    ORDER BY organisation_id, first_year DESC
), planned AS (
    SELECT dp.organisation_id, b.plan_year, count(*) AS projects
    FROM plan dp JOIN plan_projects pp ON pp.plan_id = dp.id AND pp.amendment_id IS NULL
    JOIN plan_project_budgets b ON b.plan_project_id = pp.id
    GROUP BY 1, 2
), added AS (
    SELECT dp.organisation_id, count(*) AS n FROM plan dp JOIN plan_projects pp ON pp.plan_id = dp.id
    WHERE pp.amendment_id IS NOT NULL GROUP BY 1
), strategies AS (
    SELECT dp.organisation_id, count(*) AS n FROM plan dp JOIN lao_strategies s ON s.plan_id = dp.id GROUP BY 1
), stages AS (
    SELECT organisation_id, count(*) AS approved, count(*) FILTER (WHERE reported) AS reported,
           count(*) FILTER (WHERE contracted) AS contracted, count(*) FILTER (WHERE disbursed_any) AS disbursed,
           count(*) FILTER (WHERE fully_disbursed) AS fully, count(*) FILTER (WHERE completed) AS completed
    FROM approval_facts WHERE fiscal_year = $1 GROUP BY 1
)
SELECT o.code, o.recording_method_set, coalesce(st.n, 0) AS strategies,
       (SELECT array_agg(projects ORDER BY plan_year) FROM planned p WHERE p.organisation_id = o.id) AS planned,
       dp.approved_on IS NOT NULL AS plan_approved, coalesce(a.n, 0) AS added,
       coalesce(s.approved, 0), coalesce(s.reported, 0), coalesce(s.contracted, 0), coalesce(s.disbursed, 0),
       coalesce(s.fully, 0), coalesce(s.completed, 0)
FROM organisations o
LEFT JOIN plan dp ON dp.organisation_id = o.id
LEFT JOIN added a ON a.organisation_id = o.id
LEFT JOIN strategies st ON st.organisation_id = o.id
LEFT JOIN stages s ON s.organisation_id = o.id
WHERE $2::text IS NULL OR o.province_code = $2
ORDER BY o.province_code, o.code
