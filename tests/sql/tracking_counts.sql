-- The manual's tracking-report columns counted straight from the tables
-- (a cross-check for the demo; the served report lives in the analytics layer).
-- Published data only (docs/access.md): approved plans, projects of the plan
-- as approved or of approved amendments, and their approvals.
WITH plan AS (
    SELECT dp.* FROM development_plans dp
    WHERE $1 BETWEEN dp.first_year AND dp.last_year AND dp.approved_on IS NOT NULL
), approvals AS (
    SELECT dp.organisation_id, ba.id, ba.amount, r.status, l.contract_amount, l.disbursed, l.budget
    FROM budget_approvals ba
    JOIN plan_projects pp ON pp.id = ba.plan_project_id
    JOIN development_plans dp ON dp.id = pp.plan_id
    LEFT JOIN project_reports r ON r.budget_approval_id = ba.id
    LEFT JOIN plan_amendments am ON am.id = pp.amendment_id
    LEFT JOIN elaas_latest l ON l.elaas_item_id = ba.elaas_item_id
    WHERE ba.fiscal_year = $1 AND dp.approved_on IS NOT NULL AND (pp.amendment_id IS NULL OR am.approved_on IS NOT NULL)
)
SELECT o.code,
       (SELECT count(*) FROM lao_strategies s WHERE s.plan_id = p.id),
       ARRAY(SELECT (SELECT count(*) FROM plan_projects pp JOIN plan_project_budgets b ON b.plan_project_id = pp.id
                     WHERE pp.plan_id = p.id AND pp.amendment_id IS NULL AND b.plan_year = y)
             FROM generate_series(p.first_year, p.last_year) y ORDER BY y),
       p.approved_on IS NOT NULL,
       (SELECT count(*) FROM plan_projects pp JOIN plan_amendments am ON am.id = pp.amendment_id
        WHERE pp.plan_id = p.id AND am.approved_on IS NOT NULL),
       (SELECT count(*) FROM approvals a WHERE a.organisation_id = o.id),
       (SELECT count(*) FROM approvals a WHERE a.organisation_id = o.id AND a.status IN ('submitted', 'completed')),
       (SELECT count(*) FROM approvals a WHERE a.organisation_id = o.id AND a.contract_amount > 0),
       (SELECT count(*) FROM approvals a WHERE a.organisation_id = o.id AND a.disbursed > 0),
       (SELECT count(*) FROM approvals a WHERE a.organisation_id = o.id AND a.budget > 0 AND a.disbursed >= a.budget),
       (SELECT count(*) FROM approvals a WHERE a.organisation_id = o.id AND a.status = 'completed')
FROM organisations o
JOIN plan p ON p.organisation_id = o.id
WHERE o.province_code = $2
ORDER BY o.code
