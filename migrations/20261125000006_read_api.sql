-- Read API support: Thai text search without word spaces, and one row of
-- facts per budget approval for filtering by stage reached.

-- Thai has no spaces between words, so word-based search does not work.
-- A text matches a query when it contains the query (ignoring case, spaces and
-- punctuation), or, for near-misses ("แอโรบิก" against "แอโรบิค"), by the
-- share of the query's character pairs that the text contains.
CREATE FUNCTION tidtam_normalise(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT regexp_replace(lower(t), '[[:space:][:punct:]]+', '', 'g')
$$;

-- 1 when the text contains the query, else the share of the query's
-- character pairs found in the text (0 … 1).
CREATE FUNCTION tidtam_match_score(doc text, query text) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN q = '' THEN 0
        WHEN strpos(d, q) > 0 THEN 1
        WHEN length(q) < 2 THEN 0
        ELSE (SELECT (count(DISTINCT pair) FILTER (WHERE strpos(d, pair) > 0))::real / count(DISTINCT pair)
              FROM (SELECT substr(q, i, 2) AS pair FROM generate_series(1, length(q) - 1) AS i) pairs)
    END
    FROM (SELECT coalesce(tidtam_normalise(doc), '') AS d, coalesce(tidtam_normalise(query), '') AS q) n
$$;

CREATE INDEX development_plans_organisation ON development_plans (organisation_id);
CREATE INDEX project_reports_status ON project_reports (status);

-- One row per budget approval with where it belongs, its newest e-LAAS
-- figures and its report, and the stages it reached. The stage definitions
-- here are the ones every list filter and aggregate uses.
CREATE VIEW approval_facts AS
SELECT ba.id,
       ba.fiscal_year,
       ba.path,
       ba.amount,
       ba.approved_on,
       ba.plan_project_id,
       ba.elaas_item_id,
       ba.budget_item_name,
       pp.name_th AS project_name,
       pp.sector,
       pp.activity_type,
       dp.organisation_id,
       o.code AS organisation_code,
       o.kind AS organisation_kind,
       o.province_code,
       l.as_of AS elaas_as_of,
       l.budget AS elaas_budget,
       l.contract_amount,
       l.contract_signed_on,
       l.disbursed,
       l.remaining,
       r.id AS report_id,
       r.status AS report_status,
       r.strategy_goal_id,
       r.master_plan_goal_id,
       r.sub_plan_goal_id,
       coalesce(r.status IN ('submitted', 'completed'), false) AS reported,
       coalesce(l.contract_amount > 0, false) AS contracted,
       coalesce(l.disbursed > 0, false) AS disbursed_any,
       coalesce(l.budget > 0 AND l.disbursed >= l.budget, false) AS fully_disbursed,
       coalesce(r.status = 'completed', false) AS completed
FROM budget_approvals ba
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN LATERAL (
    SELECT s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining
    FROM elaas_snapshots s
    WHERE s.elaas_item_id = ba.elaas_item_id
    ORDER BY s.as_of DESC
    LIMIT 1
) l ON true
LEFT JOIN project_reports r ON r.budget_approval_id = ba.id;
