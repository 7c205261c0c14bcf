SELECT id, organisation_id, first_year, last_year, approved_on, version
FROM development_plans WHERE organisation_id = ANY($1) ORDER BY first_year
