-- The fact frame of a fiscal year ($1): one row per budget approval. Money is
-- in satang (bigint) so that sums in the frame are exact.
--
-- The frames are public statistics (docs/access.md) and load with the
-- server's own rights, so only published data may go in: a draft report's
-- goals and dates stay out (its stage flags already need a submitted report),
-- and only approvals of published projects count (docs/access.md, "What is
-- published").
SELECT f.id AS approval_id,
       f.organisation_id,
       f.province_code,
       f.organisation_kind AS kind,
       f.sector,
       coalesce(f.activity_type, '') AS activity_type,
       coalesce(mp.code, '') AS master_plan,
       coalesce(sp.code, '') AS sub_plan,
       (f.amount * 100)::bigint AS amount,
       ARRAY[(ba.from_general_subsidy * 100)::bigint, (ba.from_purpose_subsidy * 100)::bigint,
             (ba.from_government_subsidy * 100)::bigint, (ba.from_specific_subsidy * 100)::bigint,
             (ba.from_own_revenue * 100)::bigint, (ba.from_other_revenue * 100)::bigint,
             (ba.from_accumulated_funds * 100)::bigint, (ba.from_accumulated_reserve * 100)::bigint,
             (ba.from_unknown * 100)::bigint] AS sources,
       f.elaas_item_id IS NOT NULL AS linked,
       coalesce(f.elaas_budget * 100, f.amount * 100)::bigint AS budget,
       coalesce(f.contract_amount * 100, 0)::bigint AS contract,
       coalesce(f.disbursed * 100, 0)::bigint AS disbursed,
       coalesce(f.remaining * 100, f.amount * 100)::bigint AS remaining,
       f.reported,
       f.contracted,
       f.disbursed_any,
       f.fully_disbursed,
       f.completed,
       coalesce(r.status <> 'draft' AND r.submitted_on <= d.due_on, false) AS on_time
FROM approval_facts f
JOIN budget_approvals ba ON ba.id = f.id
LEFT JOIN plan_nodes mg ON mg.id = CASE WHEN f.report_status <> 'draft' THEN f.master_plan_goal_id END
LEFT JOIN plan_nodes mp ON mp.id = mg.parent_id
LEFT JOIN plan_nodes sg ON sg.id = CASE WHEN f.report_status <> 'draft' THEN f.sub_plan_goal_id END
LEFT JOIN plan_nodes sp ON sp.id = sg.parent_id
LEFT JOIN project_reports r ON r.id = f.report_id
LEFT JOIN reporting_deadlines d ON d.fiscal_year = f.fiscal_year AND d.stage = 'report_submission'
WHERE f.fiscal_year = $1 AND f.published
