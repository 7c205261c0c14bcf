INSERT INTO lao_strategies (plan_id, number, name_th) VALUES ($1, $2, $3) RETURNING id
