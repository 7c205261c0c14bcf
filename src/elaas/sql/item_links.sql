-- An item's organisation and fiscal year, and the approvals other than $2 linked to it.
SELECT i.organisation_id, i.fiscal_year,
       (SELECT count(*) FROM budget_approvals ba WHERE ba.elaas_item_id = i.id AND ba.id <> $2) AS other_links
FROM elaas_items i
WHERE i.id = $1
