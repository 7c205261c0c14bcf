-- After the COPY: identities past the ids the generator set, the reporting
-- calendar of the fiscal years $1 … $1 + $2 - 1, and fresh statistics for
-- the queries that follow a generation.
SELECT setval(pg_get_serial_sequence('plan_projects', 'id'), (SELECT max(id) FROM plan_projects));
SELECT setval(pg_get_serial_sequence('elaas_items', 'id'), (SELECT max(id) FROM elaas_items));
SELECT setval(pg_get_serial_sequence('budget_approvals', 'id'), (SELECT max(id) FROM budget_approvals));
INSERT INTO reporting_deadlines (fiscal_year, stage, due_on)
SELECT fy, 'report_submission', make_date(fy - 543, 2, 28)
FROM generate_series($1::int, $1::int + $2::int - 1) fy
ON CONFLICT DO NOTHING;
-- Every table: the small ones too (organisations, plans), or the planner
-- guesses their sizes and the frames' statements scan the big ones whole.
ANALYZE
