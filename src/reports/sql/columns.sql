r.id, r.budget_approval_id, r.activity_type, r.planned_budget, r.coordinator_name,
    tidtam_visible_phone(r.budget_approval_id, r.coordinator_phone) AS coordinator_phone,
r.rationale, r.output_target, r.outcome_target, r.expected_results, r.success_indicator, r.target_group,
r.start_date, r.end_date, r.off_plan_reason,
r.strategy_goal_id, r.strategy_goal_result, r.master_plan_goal_id, r.master_plan_goal_result,
r.sub_plan_goal_id, r.sub_plan_goal_result, r.latitude, r.longitude,
r.completed, r.completed_on, r.summary, r.problems, r.suggestions, r.status, r.submitted_on, r.version
