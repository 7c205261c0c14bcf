WHERE ba.elaas_item_id = ANY($1)
ORDER BY ba.id
