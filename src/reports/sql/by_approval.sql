SELECT id, budget_approval_id, activity_type, planned_budget, coordinator_name,
    tidtam_visible_phone(budget_approval_id, coordinator_phone) AS coordinator_phone,
       rationale, output_target, outcome_target, expected_results, success_indicator, target_group,
       start_date, end_date, off_plan_reason,
       strategy_goal_id, strategy_goal_result, master_plan_goal_id, master_plan_goal_result,
       sub_plan_goal_id, sub_plan_goal_result, latitude, longitude,
       completed, completed_on, summary, problems, suggestions, status, submitted_on, version
FROM project_reports
WHERE budget_approval_id = ANY($1)
