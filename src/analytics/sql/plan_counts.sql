-- Projects of the plan as approved (not added by amendment) with a planned
-- budget in each plan year, per organisation, for plans covering fiscal year $1.
-- Approved plans only: an unapproved plan is not published (docs/access.md).
SELECT dp.organisation_id, b.plan_year, count(*) AS projects
FROM plan_projects pp
JOIN plan_project_budgets b ON b.plan_project_id = pp.id
JOIN development_plans dp ON dp.id = pp.plan_id
WHERE pp.amendment_id IS NULL AND dp.approved_on IS NOT NULL AND $1 BETWEEN dp.first_year AND dp.last_year
GROUP BY dp.organisation_id, b.plan_year
