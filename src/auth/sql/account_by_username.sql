SELECT id, username, display_name, role, organisation_id, province_code
FROM accounts WHERE username = $1
