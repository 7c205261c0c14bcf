-- Figures for an (item, date) not held yet. Imports are serialised by their
-- advisory lock, so no other import adds one in between.
INSERT INTO elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, contract_signed_on,
                             disbursed, remaining, import_id)
SELECT item_id, as_of, budget, contract_amount, contract_signed_on, disbursed, remaining, $1
FROM elaas_staged_figures
WHERE held_id IS NULL
ORDER BY item_id, as_of
