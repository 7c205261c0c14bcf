-- Disables an account and revokes its tokens at once.
WITH disabled AS (
    UPDATE accounts SET disabled_at = now()
    WHERE username = $1 AND disabled_at IS NULL
    RETURNING id
)
UPDATE api_tokens SET revoked_at = now()
WHERE account_id IN (SELECT id FROM disabled) AND revoked_at IS NULL
