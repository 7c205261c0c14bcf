SELECT DISTINCT ON (elaas_item_id)
       elaas_item_id, as_of, budget, contract_amount, contract_signed_on, disbursed, remaining
FROM elaas_snapshots
WHERE elaas_item_id = ANY($1)
ORDER BY elaas_item_id, as_of DESC
