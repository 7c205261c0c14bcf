SELECT id, edition, level, code, parent_id, name_th, goal_th
FROM plan_nodes
WHERE level = $1 AND edition = $2
ORDER BY code
