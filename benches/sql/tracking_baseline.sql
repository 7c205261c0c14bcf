-- The tracking report's counts in plain SQL (the baseline of the analytics
-- benchmark): one row per organisation of province $2 (every province when
-- null) for fiscal year $1. The province is chosen first, so one province
-- reads only its own rows.
WITH o AS (
    SELECT * FROM organisations WHERE $2::text IS NULL OR province_code = $2
), plan AS (
    SELECT DISTINCT ON (dp.organisation_id) dp.* FROM development_plans dp JOIN o ON o.id = dp.organisation_id
    WHERE $1 BETWEEN dp.first_year AND dp.last_year
    ORDER BY dp.organisation_id, dp.first_year DESC
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
), latest AS (
    SELECT DISTINCT ON (s.elaas_item_id) s.elaas_item_id, s.budget, s.contract_amount, s.disbursed
    FROM elaas_snapshots s JOIN elaas_items i ON i.id = s.elaas_item_id JOIN o ON o.id = i.organisation_id
    WHERE i.fiscal_year = $1
    ORDER BY s.elaas_item_id, s.as_of DESC
), stages AS (
    SELECT dp.organisation_id, count(*) AS approved,
           count(*) FILTER (WHERE r.status IN ('submitted', 'completed')) AS reported,
           count(*) FILTER (WHERE l.contract_amount > 0) AS contracted,
           count(*) FILTER (WHERE l.disbursed > 0) AS disbursed,
           count(*) FILTER (WHERE l.budget > 0 AND l.disbursed >= l.budget) AS fully,
           count(*) FILTER (WHERE r.status = 'completed') AS completed
    FROM budget_approvals ba
    JOIN plan_projects pp ON pp.id = ba.plan_project_id
    JOIN plan dp ON dp.id = pp.plan_id
    LEFT JOIN latest l ON l.elaas_item_id = ba.elaas_item_id
    LEFT JOIN project_reports r ON r.budget_approval_id = ba.id
    WHERE ba.fiscal_year = $1
    GROUP BY 1
)
SELECT o.code, o.recording_method_set, coalesce(st.n, 0) AS strategies,
       (SELECT array_agg(projects ORDER BY plan_year) FROM planned p WHERE p.organisation_id = o.id) AS planned,
       dp.approved_on IS NOT NULL AS plan_approved, coalesce(a.n, 0) AS added,
       coalesce(s.approved, 0), coalesce(s.reported, 0), coalesce(s.contracted, 0), coalesce(s.disbursed, 0),
       coalesce(s.fully, 0), coalesce(s.completed, 0)
FROM o
LEFT JOIN plan dp ON dp.organisation_id = o.id
LEFT JOIN added a ON a.organisation_id = o.id
LEFT JOIN strategies st ON st.organisation_id = o.id
LEFT JOIN stages s ON s.organisation_id = o.id
ORDER BY o.province_code, o.code
