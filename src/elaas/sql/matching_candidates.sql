-- The e-LAAS items of an organisation ($1) and fiscal year ($2) that no
-- budget approval other than $3 links to, with the budget of their newest figures.
SELECT i.id, i.organisation_id, i.fiscal_year, i.item_code, i.name_th,
       (SELECT s.budget FROM elaas_snapshots s
        WHERE s.elaas_item_id = i.id ORDER BY s.as_of DESC LIMIT 1) AS budget
FROM elaas_items i
WHERE i.organisation_id = $1 AND i.fiscal_year = $2
  AND NOT EXISTS (SELECT 1 FROM budget_approvals ba WHERE ba.elaas_item_id = i.id AND ba.id <> $3)
ORDER BY i.item_code
