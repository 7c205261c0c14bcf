COPY budget_approvals (id, plan_project_id, fiscal_year, path, budget_item_name, amount,
                       from_general_subsidy, from_own_revenue, from_specific_subsidy,
                       approved_on, elaas_item_id, elaas_link_method) FROM STDIN
