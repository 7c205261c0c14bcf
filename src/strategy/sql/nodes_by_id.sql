SELECT id, edition, level, code, parent_id, name_th, goal_th
FROM plan_nodes
WHERE id = ANY($1)
