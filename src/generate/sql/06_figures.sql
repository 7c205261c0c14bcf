-- e-LAAS figures at the end of each quarter of the fiscal year: about 70% of
-- projects sign a contract at some quarter, and disbursement rises through
-- the year; then reports (about 60%, a third of them completed) and the
-- reporting calendar.
INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, contract_signed_on, disbursed, remaining)
SELECT a.item_id, q.as_of, a.amount,
       CASE WHEN q.k >= s.signed_at THEN a.amount ELSE 0 END,
       CASE WHEN q.k >= s.signed_at THEN make_date(a.fiscal_year - 544, 11, 15) + (s.signed_at - 1) * 91 END,
       d.disbursed, a.amount - d.disbursed
FROM gen_approvals a
CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.7 THEN 1 + floor(random() * 4)::int ELSE 9 END + (0 * a.id)::int AS signed_at) s
CROSS JOIN LATERAL (
    SELECT k, (make_date(a.fiscal_year - 544, 10, 1) + make_interval(months => 3 * k) - interval '1 day')::date AS as_of
    FROM generate_series(1, 4) k
) q
CROSS JOIN LATERAL (
    SELECT CASE WHEN q.k < s.signed_at THEN 0
                ELSE least(a.amount, round(a.amount * (q.k - s.signed_at + 1) / 3.0 * (0.6 + 0.4 * a.split)::numeric, 2)) END
           AS disbursed
) d;
INSERT INTO project_reports (budget_approval_id, coordinator_name, coordinator_phone, rationale, output_target,
                             outcome_target, expected_results, success_indicator, start_date, end_date,
                             status, submitted_on, completed, completed_on, summary)
SELECT a.id, 'ผู้ประสานงาน ' || a.organisation_id, '034000000', 'หลักการและเหตุผล', 'เป้าหมายเชิงผลผลิต',
       'เป้าหมายเชิงผลลัพธ์', 'ผลที่คาดว่าจะเกิด', 'ดัชนีชี้วัด',
       make_date(a.fiscal_year - 543, 1, 5), make_date(a.fiscal_year - 543, 9, 15),
       CASE WHEN r.done THEN 'completed' ELSE 'submitted' END,
       make_date(a.fiscal_year - 543, 1, 1) + (a.id % 90)::int4,
       r.done, CASE WHEN r.done THEN make_date(a.fiscal_year - 543, 9, 20) END,
       CASE WHEN r.done THEN 'ดำเนินการเสร็จสิ้น' END
FROM gen_approvals a
CROSS JOIN LATERAL (SELECT random() < 0.33 + 0 * a.id AS done) r
WHERE a.split < 0.6;
INSERT INTO reporting_deadlines (fiscal_year, stage, due_on)
SELECT fy, 'report_submission', make_date(fy - 543, 2, 28)
FROM generate_series($1::int, $1::int + $2::int - 1) fy
ON CONFLICT DO NOTHING;
