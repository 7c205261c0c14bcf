-- Every item of an organisation ($1) in a fiscal year ($2) with its newest
-- figures on or before a date ($3).
SELECT i.id, i.organisation_id, i.fiscal_year, i.item_code, i.name_th,
       s.elaas_item_id, s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining
FROM elaas_items i
LEFT JOIN LATERAL (
    SELECT * FROM elaas_snapshots s
    WHERE s.elaas_item_id = i.id AND s.as_of <= $3
    ORDER BY s.as_of DESC
    LIMIT 1
) s ON true
WHERE i.organisation_id = $1 AND i.fiscal_year = $2
ORDER BY i.item_code
