-- Every organisation with the plan that covers fiscal year $1: its strategies,
-- whether it is approved, and how many projects approved amendments added
-- (an unapproved amendment is not published). Only an
-- approved plan counts: an unapproved one is not published (docs/access.md),
-- and the frames load with the server's own rights.
SELECT o.id AS organisation_id, o.code, o.name_th AS name, o.province_code, o.kind,
       o.recording_method_set,
       dp.id IS NOT NULL AS plan_approved,
       coalesce(dp.first_year, 0) AS plan_first_year,
       coalesce((SELECT count(*) FROM lao_strategies s WHERE s.plan_id = dp.id), 0) AS strategies,
       coalesce((SELECT count(*) FROM plan_projects pp JOIN plan_amendments am ON am.id = pp.amendment_id
                 WHERE pp.plan_id = dp.id AND am.approved_on IS NOT NULL), 0)
           AS projects_added
FROM organisations o
LEFT JOIN LATERAL (
    SELECT * FROM development_plans dp
    WHERE dp.organisation_id = o.id AND dp.approved_on IS NOT NULL AND $1 BETWEEN dp.first_year AND dp.last_year
    ORDER BY dp.first_year DESC
    LIMIT 1
) dp ON true
