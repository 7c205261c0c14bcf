INSERT INTO budget_approvals (
    plan_project_id, fiscal_year, path, budget_item_name, amount,
    from_general_subsidy, from_purpose_subsidy, from_government_subsidy, from_specific_subsidy,
    from_own_revenue, from_other_revenue, from_accumulated_funds, from_accumulated_reserve, from_unknown,
    approved_on, elaas_item_id, elaas_link_method)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
RETURNING id
