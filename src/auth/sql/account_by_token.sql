-- The account a live token belongs to: not revoked, not expired, account not disabled.
SELECT a.id, a.username, a.display_name, a.role, a.organisation_id, a.province_code, t.id AS token_id
FROM api_tokens t
JOIN accounts a ON a.id = t.account_id
WHERE t.secret_hash = $1
  AND t.revoked_at IS NULL
  AND t.expires_at > now()
  AND a.disabled_at IS NULL
