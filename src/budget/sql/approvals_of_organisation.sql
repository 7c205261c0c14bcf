-- The approvals of organisations ($1) in a fiscal year ($2), ordered as the
-- project report list shows them.
WHERE dp.organisation_id = ANY($1) AND ba.fiscal_year = $2
ORDER BY pp.sector, ba.approved_on, ba.id
