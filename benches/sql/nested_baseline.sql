-- The rows of the nested GraphQL query of benches/nested.rs in one plain SQL
-- statement: organisations of a province (or the first 100 of the country),
-- their approvals of the year with the plan project's name, the newest e-LAAS
-- figures and the report's status. The baseline of "what the database must do".
SELECT o.code, o.name_th, pp.name_th AS project, ba.amount, l.as_of, l.contract_amount, l.disbursed,
       l.remaining, r.status
FROM (SELECT id, code, name_th FROM organisations
      WHERE ($2::text IS NULL OR province_code = $2)
      ORDER BY id LIMIT 100) o
JOIN development_plans dp ON dp.organisation_id = o.id
JOIN plan_projects pp ON pp.plan_id = dp.id
JOIN budget_approvals ba ON ba.plan_project_id = pp.id AND ba.fiscal_year = $1
LEFT JOIN LATERAL (
    SELECT s.as_of, s.contract_amount, s.disbursed, s.remaining FROM elaas_snapshots s
    WHERE s.elaas_item_id = ba.elaas_item_id ORDER BY s.as_of DESC LIMIT 1
) l ON true
LEFT JOIN project_reports r ON r.budget_approval_id = ba.id AND r.status <> 'draft'
ORDER BY o.id, ba.id
