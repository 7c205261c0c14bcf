SELECT id, plan_id, strategy_id, sector, activity_type, name_th, amendment_id, version
FROM plan_projects WHERE id = ANY($1)
