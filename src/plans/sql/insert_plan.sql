INSERT INTO development_plans (organisation_id, first_year, last_year, approved_on)
VALUES ($1, $2, $2 + 4, $3)
RETURNING id
