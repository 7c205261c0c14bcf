-- {n} organisations in province 99, each with a plan, two approved projects
-- with e-LAAS figures, and a report on the first: the shape of the
-- statement-count test. `{n}` is replaced by the test.
INSERT INTO provinces (code, name_th) VALUES ('99', 'จังหวัดทดสอบ');
INSERT INTO organisations (code, name_th, kind, province_code)
SELECT (9900000 + g)::text, 'อบต. ทดสอบ ' || g, 'sao', '99' FROM generate_series(1, {n}) g;
INSERT INTO development_plans (organisation_id, first_year, last_year, approved_on)
SELECT id, 2561, 2565, '2017-06-01' FROM organisations WHERE province_code = '99';
INSERT INTO plan_projects (plan_id, sector, name_th)
SELECT dp.id, 'ด้านสังคม', 'โครงการทดสอบ ' || n
FROM development_plans dp JOIN organisations o ON o.id = dp.organisation_id, generate_series(1, 2) n
WHERE o.province_code = '99';
INSERT INTO elaas_items (organisation_id, fiscal_year, item_code, name_th)
SELECT dp.organisation_id, 2564, 'T-' || pp.id, 'รายการ ' || pp.id
FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id WHERE o.province_code = '99';
INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, disbursed, remaining)
SELECT id, '2021-03-31', 1000, 500, 250, 750 FROM elaas_items WHERE item_code LIKE 'T-%';
INSERT INTO budget_approvals (plan_project_id, fiscal_year, path, budget_item_name, amount, from_own_revenue,
                              approved_on, elaas_item_id, elaas_link_method)
SELECT pp.id, 2564, 'ordinance', 'รายการ ' || pp.id, 1000, 1000, '2020-09-24', i.id, 'manual'
FROM plan_projects pp JOIN elaas_items i ON i.item_code = 'T-' || pp.id;
INSERT INTO project_reports (budget_approval_id, coordinator_name, status, submitted_on)
SELECT ba.id, 'ผู้ทดสอบ', 'submitted', '2021-01-15'
FROM budget_approvals ba
WHERE ba.plan_project_id IN (
    SELECT min(pp.id) FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
    JOIN organisations o ON o.id = dp.organisation_id WHERE o.province_code = '99' GROUP BY pp.plan_id);
