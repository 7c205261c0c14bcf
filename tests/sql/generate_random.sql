-- A small random dataset (seeded, so every run is the same) for checking the
-- analytics layer against plain SQL: three provinces of 20 organisations
-- each, and an empty fourth; plans, amendments, FY 2564 approvals with split
-- funding sources, e-LAAS figures over several months, reports.
SELECT setseed(0.4242);
INSERT INTO provinces (code, name_th) VALUES ('81', 'กระบี่'), ('82', 'พังงา'), ('83', 'ภูเก็ต'), ('84', 'จังหวัดว่าง');
INSERT INTO organisations (code, name_th, kind, province_code, recording_method_set)
SELECT (8000000 + g)::text, 'อปท. สุ่ม ' || g,
       (ARRAY['sao', 'subdistrict_municipality', 'town_municipality', 'pao'])[1 + (g % 4)],
       (ARRAY['81', '82', '83'])[1 + (g % 3)], random() < 0.8
FROM generate_series(1, 60) g;
-- Three organisations have no plan at all.
INSERT INTO development_plans (organisation_id, first_year, last_year, approved_on)
SELECT id, 2561, 2565, CASE WHEN random() < 0.9 THEN date '2017-06-01' END
FROM organisations WHERE code LIKE '80%' AND code NOT IN ('8000001', '8000002', '8000003');
INSERT INTO lao_strategies (plan_id, number, name_th)
SELECT dp.id, n, 'ยุทธศาสตร์ ' || n FROM development_plans dp, generate_series(1, 6) n WHERE random() < 0.7;
INSERT INTO plan_projects (plan_id, sector, name_th)
SELECT dp.id, (ARRAY['ด้านสังคม', 'ด้านการเศรษฐกิจ', 'ด้านบริหารทั่วไป'])[1 + floor(random() * 3)::int],
       'โครงการสุ่ม ' || dp.id || '-' || n
FROM development_plans dp, generate_series(1, 30) n WHERE random() < 0.9;
INSERT INTO plan_project_budgets (plan_project_id, plan_year, amount)
SELECT id, 2561 + floor(random() * 5)::int, round((1000 + random() * 99000)::numeric, 2) FROM plan_projects;
INSERT INTO plan_amendments (plan_id, number) SELECT id, 1 FROM development_plans WHERE random() < 0.5;
UPDATE plan_projects pp SET amendment_id = a.id FROM plan_amendments a WHERE a.plan_id = pp.plan_id AND random() < 0.2;
INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
SELECT dp.organisation_id, 2564, 'R-' || pp.id, pp.name_th
FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
JOIN plan_project_budgets b ON b.plan_project_id = pp.id AND b.plan_year = 2564;
CREATE TEMP TABLE picked AS
SELECT pp.id AS project_id, b.amount, round(b.amount * random()::numeric, 2) AS general, random() < 0.8 AS linked
FROM plan_projects pp JOIN plan_project_budgets b ON b.plan_project_id = pp.id AND b.plan_year = 2564
WHERE random() < 0.75;
INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount,
                              from_general_subsidy, from_own_revenue, approved_on, elaas_item_id, elaas_link_method)
SELECT p.project_id, 2564, 'ordinance', 'รายการ ' || p.project_id, p.amount, p.general, p.amount - p.general,
       date '2020-09-24', CASE WHEN p.linked THEN i.id END, CASE WHEN p.linked THEN 'manual' END
FROM picked p JOIN elaas_items i ON i.item_code = 'R-' || p.project_id;
-- One to three snapshots at random month ends; contract and disbursement grow.
INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining)
SELECT i.id, s.as_of, ba.amount, c.contract, d.disbursed, ba.amount - d.disbursed
FROM budget_approvals ba
JOIN elaas_items i ON i.id = ba.elaas_item_id
CROSS JOIN LATERAL (SELECT k, (date '2020-10-31' + (k * 2 + floor(random() * 2)::int) * interval '1 month')::date AS as_of
                    FROM generate_series(1, 1 + floor(random() * 3)::int + 0 * ba.id) k) s
CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.6 AND s.k > 0 THEN ba.amount ELSE 0 END AS contract) c
CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.3 THEN c.contract ELSE round(c.contract * random()::numeric * s.k / 3, 2) END AS disbursed) d
ON CONFLICT (elaas_item_id, as_of) DO NOTHING;
INSERT INTO project_reports (budget_approval_id, coordinator_name, status, submitted_on, completed, completed_on, summary)
SELECT ba.id, 'ผู้ทดสอบ', st, date '2021-01-10' + floor(random() * 60)::int,
       st = 'completed', CASE WHEN st = 'completed' THEN date '2021-08-31' END, CASE WHEN st = 'completed' THEN 'เสร็จ' END
FROM budget_approvals ba
CROSS JOIN LATERAL (SELECT (ARRAY['draft', 'submitted', 'submitted', 'completed'])[1 + floor(random() * 4)::int + 0 * ba.id] AS st) x
WHERE random() < 0.7;
INSERT INTO reporting_deadlines (fiscal_year, stage, due_on) VALUES (2564, 'report_submission', '2021-02-01');
-- Half the amendments approved (by id, so the random sequence above is
-- untouched): the projects of the other half are not published.
UPDATE plan_amendments SET approved_on = date '2018-03-01' WHERE id % 2 = 0;
