SELECT plan_project_id, plan_year, amount FROM plan_project_budgets
WHERE plan_project_id = ANY($1) ORDER BY plan_year
