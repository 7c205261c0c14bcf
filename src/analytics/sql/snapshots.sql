-- The newest e-LAAS figures of each approval of fiscal year $1 in each month
-- of the year, as (its organisation's province, approval, month index:
-- 0 = October … 11 = September, contract, disbursed) in satang. The province
-- (of the e-LAAS item's organisation, which a trigger keeps the approval's)
-- lets a whole read put each row in its part while the facts are still
-- being read on another connection. Figures dated before October count for
-- October; figures after September are left out. Approvals of published
-- projects only, as in facts.sql.
SELECT DISTINCT ON (approval_id, month) province_code, approval_id, month, contract, disbursed
FROM (
    SELECT o.province_code,
           ba.id AS approval_id,
           greatest(0, (extract(year FROM s.as_of)::int * 12 + extract(month FROM s.as_of)::int)
                       - ((($1 - 543) - 1) * 12 + 10)) AS month,
           s.as_of,
           (s.contract_amount * 100)::bigint AS contract,
           (s.disbursed * 100)::bigint AS disbursed
    FROM budget_approvals ba
    JOIN project_publication p ON p.plan_project_id = ba.plan_project_id AND p.published
    JOIN elaas_items i ON i.id = ba.elaas_item_id
    JOIN organisations o ON o.id = i.organisation_id
    JOIN elaas_snapshots s ON s.elaas_item_id = ba.elaas_item_id
    WHERE ba.fiscal_year = $1
) t
WHERE month <= 11
ORDER BY approval_id, month, as_of DESC
