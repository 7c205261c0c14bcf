SELECT table_name, row_key, at, actor, action, before, after
FROM audit_log
WHERE table_name = $1 AND row_key = ANY($2)
ORDER BY id
