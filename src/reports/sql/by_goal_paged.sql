-- A page of the reports linked to each plan node ($1), directly or through a
-- goal under it, after id $2, $3 rows, with each node's total.
SELECT * FROM (
    SELECT r.id, r.budget_approval_id, r.activity_type, r.planned_budget, r.coordinator_name,
    tidtam_visible_phone(r.budget_approval_id, r.coordinator_phone) AS coordinator_phone,
           r.rationale, r.output_target, r.outcome_target, r.expected_results, r.success_indicator, r.target_group,
           r.start_date, r.end_date, r.off_plan_reason,
           r.strategy_goal_id, r.strategy_goal_result, r.master_plan_goal_id, r.master_plan_goal_result,
           r.sub_plan_goal_id, r.sub_plan_goal_result, r.latitude, r.longitude,
           r.completed, r.completed_on, r.summary, r.problems, r.suggestions, r.status, r.submitted_on, r.version,
           n.id AS node_id,
           count(*) OVER (PARTITION BY n.id) AS total,
           sum(CASE WHEN r.id > $2 THEN 1 ELSE 0 END) OVER (PARTITION BY n.id ORDER BY r.id) AS rn
    FROM plan_nodes n
    JOIN plan_nodes g ON g.id = n.id OR g.parent_id = n.id
    JOIN project_reports r ON g.id IN (r.strategy_goal_id, r.master_plan_goal_id, r.sub_plan_goal_id)
    WHERE n.id = ANY($1)
) t
WHERE t.id > $2 AND t.rn <= $3
ORDER BY t.node_id, t.id
