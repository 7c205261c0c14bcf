-- Three LAOs for the role × scope matrix (tests/access.rs): the demo's own
-- อบต. หาดยาย (7100001), another LAO of the same province (7100101) and an LAO
-- of another province (7200001). Each gets an approved plan with a draft and a
-- submitted report (both with a phone number) and an unapproved plan.
INSERT INTO provinces (code, name_th, name_en) VALUES ('72', 'สุพรรณบุรี', 'Suphan Buri')
ON CONFLICT (code) DO NOTHING;
INSERT INTO organisations (code, name_th, kind, province_code)
VALUES ('7200001', 'องค์การบริหารส่วนตำบลทดสอบขอบเขต', 'sao', '72');

DO $$
DECLARE
    o record;
    plan bigint;
    draft_plan bigint;
    p bigint;
    a bigint;
BEGIN
    FOR o IN SELECT id, code FROM organisations WHERE code IN ('7100001', '7100101', '7200001') LOOP
        INSERT INTO development_plans (organisation_id, first_year, last_year, approved_on)
        VALUES (o.id, 2580, 2584, DATE '2036-06-01') RETURNING id INTO plan;
        INSERT INTO development_plans (organisation_id, first_year, last_year)
        VALUES (o.id, 2585, 2589) RETURNING id INTO draft_plan;
        INSERT INTO plan_projects (plan_id, sector, name_th)
        VALUES (draft_plan, 'ด้านสังคม', 'โครงการในแผนที่ยังไม่อนุมัติ ' || o.code);

        INSERT INTO plan_projects (plan_id, sector, name_th)
        VALUES (plan, 'ด้านสังคม', 'โครงการรายงานร่าง ' || o.code) RETURNING id INTO p;
        INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount,
                                      from_general_subsidy, approved_on)
        VALUES (p, 2581, 'ordinance', 'รายการร่าง ' || o.code, 1000, 1000, DATE '2037-10-01') RETURNING id INTO a;
        INSERT INTO project_reports (budget_approval_id, coordinator_name, coordinator_phone, status)
        VALUES (a, 'ผู้ประสานงาน ' || o.code, '081-234-5678', 'draft');

        INSERT INTO plan_projects (plan_id, sector, name_th)
        VALUES (plan, 'ด้านสังคม', 'โครงการรายงานแล้ว ' || o.code) RETURNING id INTO p;
        INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount,
                                      from_general_subsidy, approved_on)
        VALUES (p, 2581, 'ordinance', 'รายการส่งแล้ว ' || o.code, 2000, 2000, DATE '2037-10-01') RETURNING id INTO a;
        INSERT INTO project_reports (budget_approval_id, coordinator_name, coordinator_phone, status, submitted_on)
        VALUES (a, 'ผู้ประสานงาน ' || o.code, '081-234-5678', 'submitted', DATE '2038-01-10');
    END LOOP;
END $$;
