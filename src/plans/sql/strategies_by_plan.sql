SELECT id, plan_id, number, name_th FROM lao_strategies WHERE plan_id = ANY($1) ORDER BY number
