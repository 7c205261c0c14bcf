SELECT id, username, display_name, role, organisation_id, province_code, password_hash
FROM accounts
WHERE username = $1 AND disabled_at IS NULL
