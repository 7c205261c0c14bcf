SELECT id, organisation_id, first_year, last_year, approved_on, version
FROM development_plans WHERE id = ANY($1)
