-- What is published (docs/access.md, "What is published"): one rule for the
-- row-level policies, the analytics frames, the exports and the BI views.
--
-- The manual's stages say a plan counts once approved (อนุมัติแผน) and a plan
-- amendment (แผนเพิ่มเติม/เปลี่ยนแปลง) once approved: so a plan project is
-- published when its plan is approved and, if an amendment added it, that
-- amendment is approved too. A budget approval and its report follow their
-- project (an approval of an unpublished project is not a public figure), a
-- report is published once submitted. Before, an unapproved amendment's
-- projects were public and counted in projectsAdded, and approvals of
-- unpublished projects were counted by the aggregates but hidden from the
-- nested reads (issue 19 §4, issue 20 §8).

-- A plan project's publication, for the frames and views that read with the
-- server's own rights (the policies below say the same for callers).
CREATE VIEW project_publication AS
SELECT pp.id AS plan_project_id,
       dp.approved_on IS NOT NULL AND (pp.amendment_id IS NULL OR am.approved_on IS NOT NULL) AS published
FROM plan_projects pp
JOIN development_plans dp ON dp.id = pp.plan_id
LEFT JOIN plan_amendments am ON am.id = pp.amendment_id;
-- It says only yes or no per project id, so requests may read it (the
-- eMENSCR hand-over joins it) whatever their scope.
GRANT SELECT ON project_publication TO tidtam_request;

CREATE OR REPLACE FUNCTION tidtam_project_published(project bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT published FROM project_publication WHERE plan_project_id = project
$$;

-- Amendments: an approved amendment of a visible plan, or any amendment of a
-- plan the request reads in full.
DROP POLICY read ON plan_amendments;
CREATE POLICY read ON plan_amendments FOR SELECT
    USING (EXISTS (SELECT 1 FROM development_plans dp
                   WHERE dp.id = plan_id
                     AND (plan_amendments.approved_on IS NOT NULL OR tidtam_sees(dp.organisation_id))));

-- Plan projects: those of the plan as approved, those of approved
-- amendments, and every project of a plan the request reads in full.
DROP POLICY read ON plan_projects;
CREATE POLICY read ON plan_projects FOR SELECT
    USING (EXISTS (SELECT 1 FROM development_plans dp
                   WHERE dp.id = plan_id
                     AND (plan_projects.amendment_id IS NULL
                          OR tidtam_sees(dp.organisation_id)
                          OR EXISTS (SELECT 1 FROM plan_amendments am
                                     WHERE am.id = plan_projects.amendment_id AND am.approved_on IS NOT NULL))));

-- Budget approvals: visible where their project is.
DROP POLICY read ON budget_approvals;
DROP POLICY change ON budget_approvals;
CREATE POLICY read ON budget_approvals FOR SELECT
    USING (EXISTS (SELECT 1 FROM plan_projects pp WHERE pp.id = plan_project_id));
CREATE POLICY change ON budget_approvals FOR UPDATE
    USING (EXISTS (SELECT 1 FROM plan_projects pp WHERE pp.id = plan_project_id))
    WITH CHECK (tidtam_writes(tidtam_project_org(plan_project_id)));

-- Reports: a submitted report of a visible approval, or any report of an
-- organisation the request reads in full.
DROP POLICY read ON project_reports;
DROP POLICY change ON project_reports;
CREATE POLICY read ON project_reports FOR SELECT
    USING (EXISTS (SELECT 1 FROM budget_approvals ba WHERE ba.id = budget_approval_id)
           AND (status <> 'draft' OR tidtam_sees(tidtam_approval_org(budget_approval_id))));
CREATE POLICY change ON project_reports FOR UPDATE
    USING (EXISTS (SELECT 1 FROM budget_approvals ba WHERE ba.id = budget_approval_id)
           AND (status <> 'draft' OR tidtam_sees(tidtam_approval_org(budget_approval_id))))
    WITH CHECK (tidtam_writes(tidtam_approval_org(budget_approval_id)));

-- approval_facts gains `published` (columns may only be added at the end).
CREATE OR REPLACE VIEW approval_facts AS
SELECT ba.id,
       ba.fiscal_year,
       ba.path,
       ba.amount,
       ba.approved_on,
       ba.plan_project_id,
       ba.elaas_item_id,
       ba.budget_item_name,
       pp.name_th AS project_name,
       pp.sector,
       pp.activity_type,
       dp.organisation_id,
       o.code AS organisation_code,
       o.kind AS organisation_kind,
       o.province_code,
       l.as_of AS elaas_as_of,
       l.budget AS elaas_budget,
       l.contract_amount,
       l.contract_signed_on,
       l.disbursed,
       l.remaining,
       r.id AS report_id,
       r.status AS report_status,
       r.strategy_goal_id,
       r.master_plan_goal_id,
       r.sub_plan_goal_id,
       coalesce(r.status IN ('submitted', 'completed'), false) AS reported,
       coalesce(l.contract_amount > 0, false) AS contracted,
       coalesce(l.disbursed > 0, false) AS disbursed_any,
       coalesce(l.budget > 0 AND l.disbursed >= l.budget, false) AS fully_disbursed,
       coalesce(r.status = 'completed', false) AS completed,
       dp.approved_on IS NOT NULL AND (pp.amendment_id IS NULL OR am.approved_on IS NOT NULL) AS published
FROM budget_approvals ba
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN plan_amendments am ON am.id = pp.amendment_id
LEFT JOIN LATERAL (
    SELECT s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining
    FROM elaas_snapshots s
    WHERE s.elaas_item_id = ba.elaas_item_id
    ORDER BY s.as_of DESC
    LIMIT 1
) l ON true
LEFT JOIN project_reports r ON r.budget_approval_id = ba.id;

-- CREATE OR REPLACE resets the view's options: it runs as its caller again.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 150000 THEN
        ALTER VIEW approval_facts SET (security_invoker = on);
    END IF;
END $$;

-- The BI views read every LAO (as a central analyst does) and say which rows
-- are published, so that a public dashboard built on them can keep to those.
CREATE OR REPLACE VIEW reporting.plan_projects AS
SELECT pp.id AS plan_project_id, o.code AS organisation_code, dp.first_year AS plan_first_year,
       dp.last_year AS plan_last_year, dp.approved_on AS plan_approved_on,
       pp.sector, pp.activity_type, pp.name_th AS project_name,
       s.number AS strategy_number, s.name_th AS strategy_name, a.number AS amendment_number,
       dp.approved_on IS NOT NULL AND (pp.amendment_id IS NULL OR a.approved_on IS NOT NULL) AS published
FROM plan_projects pp
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN lao_strategies s ON s.id = pp.strategy_id
LEFT JOIN plan_amendments a ON a.id = pp.amendment_id;

CREATE OR REPLACE VIEW reporting.budget_approvals AS
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
       coalesce(r.status = 'completed', false) AS completed,
       dp.approved_on IS NOT NULL AND (pp.amendment_id IS NULL OR am.approved_on IS NOT NULL) AS published
FROM budget_approvals ba
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN plan_amendments am ON am.id = pp.amendment_id
LEFT JOIN elaas_items i ON i.id = ba.elaas_item_id
LEFT JOIN LATERAL (
    SELECT s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining
    FROM elaas_snapshots s
    WHERE s.elaas_item_id = ba.elaas_item_id
    ORDER BY s.as_of DESC
    LIMIT 1
) l ON true
LEFT JOIN project_reports r ON r.budget_approval_id = ba.id;
