INSERT INTO project_reports (
    budget_approval_id, activity_type, planned_budget, coordinator_name, coordinator_phone,
    rationale, output_target, outcome_target, expected_results, success_indicator, target_group,
    start_date, end_date, off_plan_reason,
    strategy_goal_id, strategy_goal_result, master_plan_goal_id, master_plan_goal_result,
    sub_plan_goal_id, sub_plan_goal_result,
    latitude, longitude, completed, completed_on, summary, problems, suggestions, status, submitted_on)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
        (SELECT id FROM plan_nodes WHERE edition = $15 AND code = $16), $17,
        (SELECT id FROM plan_nodes WHERE edition = $15 AND code = $18), $19,
        (SELECT id FROM plan_nodes WHERE edition = $15 AND code = $20), $21,
        $22, $23, $24, $25, $26, $27, $28, $29, $30)
RETURNING id
