-- Read API support: Thai text search without word spaces, and one row of
-- facts per budget approval for filtering by stage reached.

-- Character bigrams of a text, lower-cased, without spaces or punctuation.
-- Thai has no spaces between words, so word-based search does not work; the
-- share of a query's bigrams found in a text finds substrings ("ไข้เลือดออก")
-- and ranks near-misses ("แอโรบิก" against "แอโรบิค").
CREATE FUNCTION tidtam_normalise(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT regexp_replace(lower(t), '[[:space:][:punct:]]+', '', 'g')
$$;

CREATE FUNCTION tidtam_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(n, i, 2)), '{}')
    FROM (SELECT coalesce(tidtam_normalise(t), '') AS n) s,
         generate_series(1, length(n) - 1) AS i
$$;

-- 1 when the text contains the query, else the share of the query's bigrams
-- that the text has (0 … 1).
CREATE FUNCTION tidtam_match_score(doc text, query text) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN coalesce(tidtam_normalise(query), '') = '' THEN 0
        WHEN position(tidtam_normalise(query) IN coalesce(tidtam_normalise(doc), '')) > 0 THEN 1
        WHEN cardinality(tidtam_bigrams(query)) = 0 THEN 0
        ELSE (SELECT count(*) FROM unnest(tidtam_bigrams(query)) q
              WHERE q = ANY (tidtam_bigrams(doc)))::real / cardinality(tidtam_bigrams(query))
    END
$$;

CREATE INDEX plan_projects_name_bigrams ON plan_projects USING gin (tidtam_bigrams(name_th));
CREATE INDEX organisations_name_bigrams ON organisations USING gin (tidtam_bigrams(name_th));
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
