INSERT INTO plan_nodes (edition, level, code, parent_id, name_th, goal_th, strategy_code)
VALUES ($1, $2, $3,
        (SELECT id FROM plan_nodes WHERE edition = $1 AND code = $4),
        $5, $6, $7)
ON CONFLICT (edition, code) DO UPDATE
SET level = EXCLUDED.level,
    parent_id = EXCLUDED.parent_id,
    name_th = EXCLUDED.name_th,
    goal_th = EXCLUDED.goal_th,
    strategy_code = EXCLUDED.strategy_code
