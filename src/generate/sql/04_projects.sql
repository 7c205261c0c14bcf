-- 75–365 plan projects per organisation and plan year, named from realistic
-- parts, each with its planned budget; ids are set here so that budgets and
-- approvals can refer to them without reading them back.
CREATE TEMP TABLE gen_projects ON COMMIT DROP AS
SELECT row_number() OVER () + (SELECT coalesce(max(id), 0) FROM plan_projects) AS id,
       dp.id AS plan_id, dp.organisation_id, y AS plan_year, n,
       (ARRAY['ด้านบริการชุมชนและสังคม', 'ด้านการเศรษฐกิจ', 'ด้านบริหารทั่วไป', 'ด้านสังคม',
              'ด้านการดำเนินงานอื่น'])[1 + floor(random() * 5)::int] AS sector,
       (ARRAY['โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก', 'โครงการส่งเสริมอาชีพ', 'โครงการป้องกันโรคไข้เลือดออก',
              'โครงการพัฒนาแหล่งน้ำ', 'โครงการส่งเสริมการออกกำลังกาย', 'โครงการจัดซื้ออาหารเสริม (นม)',
              'โครงการอบรมผู้สูงอายุ', 'โครงการวางท่อระบายน้ำ', 'โครงการติดตั้งไฟฟ้าส่องสว่าง',
              'โครงการแข่งขันกีฬาเยาวชน'])[1 + floor(random() * 10)::int]
         || ' หมู่ที่ ' || (1 + n % 15) AS name_th,
       round((5000 + random() * random() * 2000000)::numeric, -2) AS amount
FROM development_plans dp
CROSS JOIN generate_series(dp.first_year, dp.last_year) y
CROSS JOIN LATERAL generate_series(1, 75 + floor(random() * 291)::int + 0 * dp.id + 0 * y) n;
INSERT INTO plan_projects (id, plan_id, sector, name_th)
OVERRIDING SYSTEM VALUE
SELECT id, plan_id, sector, name_th FROM gen_projects;
INSERT INTO plan_project_budgets (plan_project_id, plan_year, amount)
SELECT id, plan_year, amount FROM gen_projects;
SELECT setval(pg_get_serial_sequence('plan_projects', 'id'), (SELECT max(id) FROM plan_projects));
