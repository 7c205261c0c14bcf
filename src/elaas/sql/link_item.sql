-- Links approval $1 at version $2 to item $3 (NULL: removes the link), made
-- by $4 ('manual' or 'auto').
UPDATE budget_approvals
SET elaas_item_id = $3,
    elaas_link_method = CASE WHEN $3::bigint IS NULL THEN NULL ELSE $4 END,
    version = version + 1
WHERE id = $1 AND version = $2
RETURNING id
