WHERE ba.plan_project_id = ANY($1)
ORDER BY ba.fiscal_year, ba.id
