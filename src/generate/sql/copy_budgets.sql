COPY plan_project_budgets (plan_project_id, plan_year, amount) FROM STDIN
