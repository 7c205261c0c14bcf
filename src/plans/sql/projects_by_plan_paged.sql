-- A page of each plan's projects ($1 plans, after id $2, $3 rows) with each plan's total.
SELECT * FROM (
    SELECT id, plan_id, strategy_id, sector, activity_type, name_th, amendment_id, version,
           count(*) OVER (PARTITION BY plan_id) AS total,
           sum(CASE WHEN id > $2 THEN 1 ELSE 0 END) OVER (PARTITION BY plan_id ORDER BY id) AS rn
    FROM plan_projects WHERE plan_id = ANY($1)
) t
WHERE t.id > $2 AND t.rn <= $3
ORDER BY t.plan_id, t.id
