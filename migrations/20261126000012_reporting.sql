-- The `reporting` schema: stable, documented views for BI tools that connect
-- to PostgreSQL directly (docs/bi.md), and the read-only role they connect as.
-- One view per dataset; columns are only ever added, never renamed.
-- The views run with their owner's rights: a BI login reads every LAO, as a
-- central analyst does, but never a phone number and never the audit trail.

CREATE SCHEMA reporting;

CREATE VIEW reporting.organisations AS
SELECT o.code AS organisation_code, o.name_th AS organisation_name, o.kind AS organisation_kind,
       o.province_code, p.name_th AS province_name, o.district, o.recording_method_set
FROM organisations o
JOIN provinces p ON p.code = o.province_code;

CREATE VIEW reporting.plan_projects AS
SELECT pp.id AS plan_project_id, o.code AS organisation_code, dp.first_year AS plan_first_year,
       dp.last_year AS plan_last_year, dp.approved_on AS plan_approved_on,
       pp.sector, pp.activity_type, pp.name_th AS project_name,
       s.number AS strategy_number, s.name_th AS strategy_name, a.number AS amendment_number
FROM plan_projects pp
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN lao_strategies s ON s.id = pp.strategy_id
LEFT JOIN plan_amendments a ON a.id = pp.amendment_id;

CREATE VIEW reporting.planned_budgets AS
SELECT plan_project_id, plan_year, amount
FROM plan_project_budgets;

-- The stages are defined as in approval_facts (migration …_read_api.sql); that
-- view runs as its caller, so this one reads the tables itself.
CREATE VIEW reporting.budget_approvals AS
SELECT ba.id AS budget_approval_id, ba.fiscal_year, o.code AS organisation_code, o.kind AS organisation_kind,
       o.province_code, ba.plan_project_id, pp.name_th AS project_name, pp.sector, pp.activity_type, ba.path,
       ba.budget_item_name, ba.amount, ba.from_general_subsidy, ba.from_purpose_subsidy,
       ba.from_government_subsidy, ba.from_specific_subsidy, ba.from_own_revenue, ba.from_other_revenue,
       ba.from_accumulated_funds, ba.from_accumulated_reserve, ba.from_unknown, ba.approved_on,
       i.item_code AS elaas_item_code, ba.elaas_link_method,
       l.as_of AS elaas_as_of, l.budget AS elaas_budget, l.contract_amount, l.contract_signed_on,
       l.disbursed, l.remaining, r.status AS report_status,
       coalesce(r.status IN ('submitted', 'completed'), false) AS reported,
       coalesce(l.contract_amount > 0, false) AS contracted,
       coalesce(l.disbursed > 0, false) AS disbursed_any,
       coalesce(l.budget > 0 AND l.disbursed >= l.budget, false) AS fully_disbursed,
       coalesce(r.status = 'completed', false) AS completed
FROM budget_approvals ba
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN elaas_items i ON i.id = ba.elaas_item_id
LEFT JOIN LATERAL (
    SELECT s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining
    FROM elaas_snapshots s
    WHERE s.elaas_item_id = ba.elaas_item_id
    ORDER BY s.as_of DESC
    LIMIT 1
) l ON true
LEFT JOIN project_reports r ON r.budget_approval_id = ba.id;

CREATE VIEW reporting.elaas_history AS
SELECT o.code AS organisation_code, i.fiscal_year, i.item_code, i.name_th AS item_name, s.as_of,
       s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining
FROM elaas_snapshots s
JOIN elaas_items i ON i.id = s.elaas_item_id
JOIN organisations o ON o.id = i.organisation_id;

CREATE VIEW reporting.project_reports AS
SELECT r.id AS report_id, r.budget_approval_id, ba.fiscal_year, o.code AS organisation_code,
       r.status, r.submitted_on, r.activity_type, r.planned_budget, r.coordinator_name,
       r.rationale, r.output_target, r.outcome_target, r.expected_results, r.success_indicator,
       r.target_group, r.start_date, r.end_date, r.off_plan_reason,
       sg.code AS strategy_goal_code, r.strategy_goal_result,
       mg.code AS master_plan_goal_code, r.master_plan_goal_result,
       pg.code AS sub_plan_goal_code, r.sub_plan_goal_result,
       r.latitude, r.longitude, r.completed, r.completed_on, r.summary, r.problems, r.suggestions
FROM project_reports r
JOIN budget_approvals ba ON ba.id = r.budget_approval_id
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN plan_nodes sg ON sg.id = r.strategy_goal_id
LEFT JOIN plan_nodes mg ON mg.id = r.master_plan_goal_id
LEFT JOIN plan_nodes pg ON pg.id = r.sub_plan_goal_id;

CREATE VIEW reporting.quarterly_progress AS
SELECT report_id, fiscal_quarter, percent, narrative, recorded_on
FROM report_progress;

CREATE VIEW reporting.national_plan AS
SELECT n.edition, n.level, n.code, parent.code AS parent_code, n.name_th, n.goal_th, n.strategy_code
FROM plan_nodes n
LEFT JOIN plan_nodes parent ON parent.id = n.parent_id;

-- The role BI logins join: `CREATE ROLE metabase LOGIN PASSWORD '…' IN ROLE tidtam_reporting;`
-- It reads the reporting schema and nothing else, and writes nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_reporting') THEN
        CREATE ROLE tidtam_reporting NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA reporting TO tidtam_reporting;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO tidtam_reporting;
