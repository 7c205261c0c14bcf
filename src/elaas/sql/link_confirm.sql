-- An officer confirms a link: approval $1 at version $2 to item $3.
UPDATE budget_approvals
SET elaas_item_id = $3, elaas_link_method = 'manual', version = version + 1
WHERE id = $1 AND version = $2
RETURNING id
