INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, contract_signed_on, disbursed, remaining)
VALUES ($1, $2, $3, $4, $5, $6, $7)
