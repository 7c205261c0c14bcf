UPDATE plan_projects
SET name_th = coalesce($3, name_th),
    sector = coalesce($4, sector),
    activity_type = CASE WHEN $5::boolean THEN $6 ELSE activity_type END,
    version = version + 1
WHERE id = $1 AND version = $2
RETURNING id, plan_id, strategy_id, sector, activity_type, name_th, amendment_id, version
