SELECT id, edition, level, code, parent_id, name_th, goal_th
FROM plan_nodes WHERE parent_id = ANY($1) ORDER BY level, code
