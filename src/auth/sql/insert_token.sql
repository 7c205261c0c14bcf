INSERT INTO api_tokens (account_id, kind, name, secret_hash, expires_at)
VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
RETURNING id, kind, name, created_at, expires_at, revoked_at
