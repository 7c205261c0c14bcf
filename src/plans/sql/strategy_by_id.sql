SELECT id, plan_id, number, name_th FROM lao_strategies WHERE id = ANY($1)
