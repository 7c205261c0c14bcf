-- Links approvals ($1) to items ($2) as the matcher's, where still unlinked.
UPDATE budget_approvals ba
SET elaas_item_id = l.item_id, elaas_link_method = 'auto', version = ba.version + 1
FROM unnest($1::bigint[], $2::bigint[]) AS l(approval_id, item_id)
WHERE ba.id = l.approval_id AND ba.elaas_item_id IS NULL
RETURNING ba.id
