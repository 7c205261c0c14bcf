-- One five-year plan per organisation starting in $1, most approved; 5–8
-- strategies; an amendment (แผนเพิ่มเติม) for about 60% of the plans.
INSERT INTO development_plans (organisation_id, first_year, last_year, approved_on)
SELECT id, $1::int, $1::int + 4,
       CASE WHEN random() < 0.95 THEN make_date($1::int - 544, 6, 1 + (id % 28)::int) END
FROM organisations
ORDER BY id;
INSERT INTO lao_strategies (plan_id, number, name_th)
SELECT dp.id, n, 'ยุทธศาสตร์การพัฒนาที่ ' || n
FROM development_plans dp
CROSS JOIN LATERAL generate_series(1, 5 + floor(random() * 4)::int + 0 * dp.id) n;
INSERT INTO plan_amendments (plan_id, number, approved_on)
SELECT id, 1, make_date(first_year - 543 + 1, 8, 15) FROM development_plans WHERE random() < 0.6 ORDER BY id;
