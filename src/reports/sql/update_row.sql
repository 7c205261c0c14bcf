UPDATE project_reports SET
    activity_type = $3, planned_budget = $4, coordinator_name = $5, coordinator_phone = $6,
    rationale = $7, output_target = $8, outcome_target = $9, expected_results = $10,
    success_indicator = $11, target_group = $12, start_date = $13, end_date = $14, off_plan_reason = $15,
    strategy_goal_id = $16, strategy_goal_result = $17, master_plan_goal_id = $18, master_plan_goal_result = $19,
    sub_plan_goal_id = $20, sub_plan_goal_result = $21, latitude = $22, longitude = $23,
    completed = $24, completed_on = $25, summary = $26, problems = $27, suggestions = $28,
    status = $29, submitted_on = $30, version = version + 1
WHERE id = $1 AND version = $2
RETURNING id, budget_approval_id, activity_type, planned_budget, coordinator_name, coordinator_phone,
       rationale, output_target, outcome_target, expected_results, success_indicator, target_group,
       start_date, end_date, off_plan_reason,
       strategy_goal_id, strategy_goal_result, master_plan_goal_id, master_plan_goal_result,
       sub_plan_goal_id, sub_plan_goal_result, latitude, longitude,
       completed, completed_on, summary, problems, suggestions, status, submitted_on, version
