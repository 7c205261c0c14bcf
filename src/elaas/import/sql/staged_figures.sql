-- Each staged row with the figures already held for its item and date, if
-- any: one lookup per row, after which new figures are inserted and changed
-- ones updated, and figures held unchanged (a re-imported file) are neither
-- written nor locked.
CREATE TEMP TABLE elaas_staged_figures ON COMMIT DROP AS
SELECT s.item_id, s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining,
       o.id AS held_id,
       (o.budget, o.contract_amount, o.contract_signed_on, o.disbursed, o.remaining)
           IS NOT DISTINCT FROM
       (s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining) AS unchanged
FROM elaas_staged s
LEFT JOIN elaas_snapshots o ON o.elaas_item_id = s.item_id AND o.as_of = s.as_of
