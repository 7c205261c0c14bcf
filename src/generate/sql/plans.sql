-- The plans the generator fills, in the order it fills them.
SELECT dp.id, dp.organisation_id, dp.first_year, a.id AS amendment_id
FROM development_plans dp
LEFT JOIN plan_amendments a ON a.plan_id = dp.id AND a.number = 1
ORDER BY dp.id
