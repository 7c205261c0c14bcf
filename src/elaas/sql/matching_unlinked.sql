-- The budget approvals of an organisation ($1) and fiscal year ($2) without
-- an e-LAAS link, locked for the auto-link's transaction.
SELECT ba.id, ba.amount, ba.budget_item_name, pp.name_th AS project_name
FROM budget_approvals ba
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN development_plans dp ON dp.id = pp.plan_id
WHERE dp.organisation_id = $1 AND ba.fiscal_year = $2 AND ba.elaas_item_id IS NULL
ORDER BY ba.id
FOR UPDATE OF ba
