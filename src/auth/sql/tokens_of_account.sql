SELECT id, kind, name, created_at, expires_at, revoked_at
FROM api_tokens
WHERE account_id = $1 AND id > $2
ORDER BY id
LIMIT $3
