-- For each fiscal year $1 … $1 + $2 - 1: an amendment adding some projects,
-- then 40–230 approvals per organisation (as many as it has projects that
-- year), each with an e-LAAS item (most linked) and split funding sources.
INSERT INTO plan_amendments (plan_id, number, approved_on)
SELECT id, 1, make_date(first_year - 543 + 1, 8, 15) FROM development_plans WHERE random() < 0.6;
UPDATE plan_projects pp SET amendment_id = a.id
FROM plan_amendments a, gen_projects g
WHERE a.plan_id = pp.plan_id AND g.id = pp.id AND g.plan_year BETWEEN $1::int AND $1::int + $2::int - 1
  AND g.n % 5 = 0;
CREATE TEMP TABLE gen_approvals ON COMMIT DROP AS
SELECT row_number() OVER () + (SELECT coalesce(max(id), 0) FROM budget_approvals) AS id,
       row_number() OVER () + (SELECT coalesce(max(id), 0) FROM elaas_items) AS item_id,
       g.id AS project_id, g.organisation_id, g.plan_year AS fiscal_year, g.amount, g.name_th,
       random() < 0.9 AS linked, random() AS split
FROM (
    SELECT g.*, row_number() OVER (PARTITION BY g.organisation_id, g.plan_year ORDER BY random()) AS pick,
           40 + (hashint4(g.organisation_id::int + g.plan_year) & 2147483647) % 191 AS wanted
    FROM gen_projects g
    WHERE g.plan_year BETWEEN $1::int AND $1::int + $2::int - 1
) g
WHERE g.pick <= g.wanted;
INSERT INTO elaas_items (id, organisation_id, fiscal_year, item_code, name_th)
OVERRIDING SYSTEM VALUE
SELECT item_id, organisation_id, fiscal_year, fiscal_year || '-' || project_id, name_th FROM gen_approvals;
SELECT setval(pg_get_serial_sequence('elaas_items', 'id'), (SELECT max(id) FROM elaas_items));
INSERT INTO budget_approvals (id, plan_project_id, fiscal_year, path, budget_item_name, amount,
                              from_general_subsidy, from_own_revenue, from_specific_subsidy,
                              approved_on, elaas_item_id, elaas_link_method)
OVERRIDING SYSTEM VALUE
SELECT id, project_id, fiscal_year, CASE WHEN split < 0.93 THEN 'ordinance' ELSE 'accumulated_funds' END,
       name_th, amount,
       round(amount * 0.6, 2), amount - round(amount * 0.6, 2) - round(amount * 0.1, 2), round(amount * 0.1, 2),
       make_date(fiscal_year - 544, 9, 1 + (id % 28)::int),
       CASE WHEN linked THEN item_id END, CASE WHEN linked THEN 'manual' END
FROM gen_approvals;
SELECT setval(pg_get_serial_sequence('budget_approvals', 'id'), (SELECT max(id) FROM budget_approvals));
