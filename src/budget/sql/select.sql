-- A budget approval as the API shows it; the statements that use it add
-- their WHERE and ORDER BY.
SELECT ba.id, ba.plan_project_id, ba.fiscal_year, ba.path, ba.budget_item_name, ba.amount,
       ba.from_general_subsidy, ba.from_purpose_subsidy, ba.from_government_subsidy,
       ba.from_specific_subsidy, ba.from_own_revenue, ba.from_other_revenue,
       ba.from_accumulated_funds, ba.from_accumulated_reserve, ba.from_unknown,
       ba.approved_on, ba.elaas_item_id, ba.elaas_link_method, ba.version,
       dp.organisation_id, pp.name_th AS project_name, pp.sector, pp.activity_type,
       dp.approved_on IS NOT NULL
           AND (pp.amendment_id IS NULL
                OR EXISTS (SELECT 1 FROM plan_amendments am
                           WHERE am.id = pp.amendment_id AND am.approved_on IS NOT NULL)) AS published
FROM budget_approvals ba
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN development_plans dp ON dp.id = pp.plan_id
