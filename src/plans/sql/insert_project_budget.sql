INSERT INTO plan_project_budgets (plan_project_id, plan_year, amount) VALUES ($1, $2, $3)
