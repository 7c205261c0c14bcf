COPY project_reports (budget_approval_id, coordinator_name, coordinator_phone, rationale, output_target,
                      outcome_target, expected_results, success_indicator, start_date, end_date,
                      status, submitted_on, completed, completed_on, summary) FROM STDIN
