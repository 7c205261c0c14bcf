-- Row-level security that the planner can join instead of calling a function
-- per row: a child row is visible where its parent is (the parent's own
-- policy decides), written as EXISTS so that it becomes an index lookup or a
-- semi-join. Same rules as before (tests/access.rs), a fraction of the cost
-- on lists of thousands of rows.

DROP POLICY read ON lao_strategies;
DROP POLICY change ON lao_strategies;
CREATE POLICY read ON lao_strategies FOR SELECT
    USING (EXISTS (SELECT 1 FROM development_plans dp WHERE dp.id = plan_id));
CREATE POLICY change ON lao_strategies FOR UPDATE
    USING (EXISTS (SELECT 1 FROM development_plans dp WHERE dp.id = plan_id))
    WITH CHECK (tidtam_writes(tidtam_plan_org(plan_id)));

DROP POLICY read ON plan_amendments;
DROP POLICY change ON plan_amendments;
CREATE POLICY read ON plan_amendments FOR SELECT
    USING (EXISTS (SELECT 1 FROM development_plans dp WHERE dp.id = plan_id));
CREATE POLICY change ON plan_amendments FOR UPDATE
    USING (EXISTS (SELECT 1 FROM development_plans dp WHERE dp.id = plan_id))
    WITH CHECK (tidtam_writes(tidtam_plan_org(plan_id)));

DROP POLICY read ON plan_projects;
DROP POLICY change ON plan_projects;
CREATE POLICY read ON plan_projects FOR SELECT
    USING (EXISTS (SELECT 1 FROM development_plans dp WHERE dp.id = plan_id));
CREATE POLICY change ON plan_projects FOR UPDATE
    USING (EXISTS (SELECT 1 FROM development_plans dp WHERE dp.id = plan_id))
    WITH CHECK (tidtam_writes(tidtam_plan_org(plan_id)));

DROP POLICY read ON plan_project_budgets;
DROP POLICY change ON plan_project_budgets;
CREATE POLICY read ON plan_project_budgets FOR SELECT
    USING (EXISTS (SELECT 1 FROM plan_projects pp WHERE pp.id = plan_project_id));
CREATE POLICY change ON plan_project_budgets FOR UPDATE
    USING (EXISTS (SELECT 1 FROM plan_projects pp WHERE pp.id = plan_project_id))
    WITH CHECK (tidtam_writes(tidtam_project_org(plan_project_id)));

DROP POLICY read ON report_progress;
DROP POLICY change ON report_progress;
CREATE POLICY read ON report_progress FOR SELECT
    USING (EXISTS (SELECT 1 FROM project_reports r WHERE r.id = report_id));
CREATE POLICY change ON report_progress FOR UPDATE
    USING (EXISTS (SELECT 1 FROM project_reports r WHERE r.id = report_id))
    WITH CHECK (tidtam_writes(tidtam_report_org(report_id)));
