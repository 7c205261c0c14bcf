-- The figures of the new items inserted by insert_new_items.sql.
INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, contract_signed_on,
                             disbursed, remaining, import_id)
SELECT item_id, as_of, budget, contract_amount, contract_signed_on, disbursed, remaining, $1
FROM elaas_staging
