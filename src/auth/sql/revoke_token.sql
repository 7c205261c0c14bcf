-- Revokes a token of the account ($2), or any token when $3 (an administrator).
UPDATE api_tokens SET revoked_at = now()
WHERE id = $1 AND revoked_at IS NULL AND (account_id = $2 OR $3)
RETURNING id, kind, name, created_at, expires_at, revoked_at
