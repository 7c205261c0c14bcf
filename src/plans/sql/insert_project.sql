INSERT INTO plan_projects (plan_id, strategy_id, sector, activity_type, name_th, amendment_id)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
