ba.id, ba.plan_project_id, ba.fiscal_year, ba.path, ba.budget_item_name, ba.amount,
ba.from_general_subsidy, ba.from_purpose_subsidy, ba.from_government_subsidy,
ba.from_specific_subsidy, ba.from_own_revenue, ba.from_other_revenue,
ba.from_accumulated_funds, ba.from_accumulated_reserve, ba.from_unknown,
ba.approved_on, ba.elaas_item_id, ba.elaas_link_method, ba.version,
f.organisation_id, f.project_name, f.sector, f.activity_type, f.published
