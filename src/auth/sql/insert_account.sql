INSERT INTO accounts (username, display_name, password_hash, role, organisation_id, province_code)
VALUES ($1, $2, $3, $4,
        (SELECT id FROM organisations WHERE code = $5),
        $6)
RETURNING id, username, display_name, role, organisation_id, province_code
