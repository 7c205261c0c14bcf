-- A page of each province's organisations ($1 province codes as numbers,
-- after id $2, $3 rows) with each province's total.
SELECT * FROM (
    SELECT id, code, name_th, kind, province_code, district, recording_method_set,
           count(*) OVER (PARTITION BY province_code) AS total,
           sum(CASE WHEN id > $2 THEN 1 ELSE 0 END) OVER (PARTITION BY province_code ORDER BY id) AS rn
    FROM organisations WHERE province_code::bigint = ANY($1)
) t
WHERE t.id > $2 AND t.rn <= $3
ORDER BY t.province_code, t.id
