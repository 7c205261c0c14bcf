UPDATE development_plans
SET approved_on = $3, version = version + 1
WHERE id = $1 AND version = $2
RETURNING id, organisation_id, first_year, last_year, approved_on, version
