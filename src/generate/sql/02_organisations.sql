-- $1 organisations per province: one อบจ., then the national mix of
-- municipalities (about 31%) and อบต. (about 69%).
INSERT INTO organisations (code, name_th, kind, province_code, district, recording_method_set)
SELECT (900000000 + p.code::int * 10000 + n)::text,
       CASE k WHEN 'pao' THEN 'องค์การบริหารส่วนจังหวัดจำลอง ' || p.code
              WHEN 'sao' THEN 'องค์การบริหารส่วนตำบลจำลอง ' || p.code || '-' || n
              ELSE 'เทศบาลจำลอง ' || p.code || '-' || n END,
       k, p.code, 'อำเภอจำลอง ' || (1 + n % 9), random() < 0.93
FROM provinces p
CROSS JOIN generate_series(1, $1::int) n
CROSS JOIN LATERAL (
    SELECT CASE WHEN n = 1 THEN 'pao'
                WHEN r < 0.004 THEN 'city_municipality'
                WHEN r < 0.028 THEN 'town_municipality'
                WHEN r < 0.313 THEN 'subdistrict_municipality'
                ELSE 'sao' END AS k
    FROM (SELECT random() + 0 * n AS r) x
) kind
