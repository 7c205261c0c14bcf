COPY elaas_snapshots (elaas_item_id, as_of, budget, contract_amount, contract_signed_on, disbursed, remaining)
FROM STDIN
