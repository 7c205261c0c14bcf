-- One page of the e-LAAS history export: the snapshots of a fiscal year ($1)
-- of some organisations ($2, codes), in the file's order. Money in satang so
-- that it stays exact on its way into a frame.
SELECT o.code AS organisation_code, o.province_code, i.item_code, i.name_th AS item_name,
       s.as_of, (s.budget * 100)::bigint AS budget, (s.contract_amount * 100)::bigint AS contract_amount,
       s.contract_signed_on, (s.disbursed * 100)::bigint AS disbursed, (s.remaining * 100)::bigint AS remaining
FROM organisations o
JOIN elaas_items i ON i.organisation_id = o.id AND i.fiscal_year = $1
JOIN elaas_snapshots s ON s.elaas_item_id = i.id
WHERE o.code = ANY($2)
ORDER BY o.code, i.item_code, s.as_of
