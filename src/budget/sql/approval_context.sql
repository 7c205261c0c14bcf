-- What an approval needs to know of its plan project: the organisation, the
-- plan's years and whether the plan is approved.
SELECT pp.id, dp.organisation_id, dp.first_year, dp.last_year, dp.approved_on IS NOT NULL AS plan_approved
FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
WHERE pp.id = $1
