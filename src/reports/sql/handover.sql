-- The eMENSCR hand-over: every reported project (submitted or completed) of a
-- fiscal year, in the caller's scope, one JSON record each in the shape the
-- national system takes. Published projects only (docs/access.md): an
-- unapproved amendment's project is not handed over. The phone number follows the caller's scope.
SELECT jsonb_build_object(
    'reportId', r.id,
    'fiscalYear', ba.fiscal_year,
    'organisation', jsonb_build_object('code', o.code, 'name', o.name_th, 'provinceCode', o.province_code),
    'projectName', pp.name_th,
    'budgetItemName', ba.budget_item_name,
    'sector', pp.sector,
    'activityType', coalesce(r.activity_type, pp.activity_type),
    'status', r.status,
    'strategyGoal', jsonb_build_object('code', sg.code, 'text', coalesce(sg.goal_th, sg.name_th), 'result', r.strategy_goal_result),
    'masterPlanGoal', jsonb_build_object('code', mg.code, 'text', coalesce(mg.goal_th, mg.name_th), 'result', r.master_plan_goal_result),
    'subPlanGoal', jsonb_build_object('code', pg.code, 'text', coalesce(pg.goal_th, pg.name_th), 'result', r.sub_plan_goal_result),
    'rationale', r.rationale,
    'outputTarget', r.output_target,
    'outcomeTarget', r.outcome_target,
    'expectedResults', r.expected_results,
    'successIndicator', r.success_indicator,
    'targetGroup', r.target_group,
    'budget', jsonb_build_object(
        'ordinance', ba.amount::text, 'planned', r.planned_budget::text,
        'sources', jsonb_strip_nulls(jsonb_build_object(
            'GENERAL_SUBSIDY', nullif(ba.from_general_subsidy, 0)::text,
            'PURPOSE_SUBSIDY', nullif(ba.from_purpose_subsidy, 0)::text,
            'GOVERNMENT_SUBSIDY', nullif(ba.from_government_subsidy, 0)::text,
            'SPECIFIC_SUBSIDY', nullif(ba.from_specific_subsidy, 0)::text,
            'OWN_REVENUE', nullif(ba.from_own_revenue, 0)::text,
            'OTHER_REVENUE', nullif(ba.from_other_revenue, 0)::text,
            'ACCUMULATED_FUNDS', nullif(ba.from_accumulated_funds, 0)::text,
            'ACCUMULATED_RESERVE', nullif(ba.from_accumulated_reserve, 0)::text,
            'UNKNOWN', nullif(ba.from_unknown, 0)::text))),
    'startDate', r.start_date,
    'endDate', r.end_date,
    'location', CASE WHEN r.latitude IS NOT NULL
                     THEN jsonb_build_object('latitude', r.latitude, 'longitude', r.longitude) END,
    'coordinator', jsonb_build_object('name', r.coordinator_name,
                                      'phone', tidtam_visible_phone(r.budget_approval_id, r.coordinator_phone)),
    'quarterlyProgress', coalesce((
        SELECT jsonb_agg(jsonb_build_object('quarter', q.fiscal_quarter, 'percent', q.percent::text,
                                            'narrative', q.narrative, 'recordedOn', q.recorded_on)
                         ORDER BY q.fiscal_quarter)
        FROM report_progress q WHERE q.report_id = r.id), '[]'::jsonb),
    'completed', r.completed,
    'completedOn', r.completed_on,
    'summary', r.summary,
    'problems', r.problems,
    'suggestions', r.suggestions,
    'offPlanReason', r.off_plan_reason
) AS record
FROM project_reports r
JOIN budget_approvals ba ON ba.id = r.budget_approval_id
JOIN plan_projects pp ON pp.id = ba.plan_project_id
JOIN project_publication pub ON pub.plan_project_id = pp.id AND pub.published
JOIN development_plans dp ON dp.id = pp.plan_id
JOIN organisations o ON o.id = dp.organisation_id
LEFT JOIN plan_nodes sg ON sg.id = r.strategy_goal_id
LEFT JOIN plan_nodes mg ON mg.id = r.master_plan_goal_id
LEFT JOIN plan_nodes pg ON pg.id = r.sub_plan_goal_id
WHERE ba.fiscal_year = $1
  AND r.status IN ('submitted', 'completed')
  AND ($2::text IS NULL OR o.province_code = $2)
  AND ($3::text IS NULL OR o.code = $3)
ORDER BY o.code, ba.id
