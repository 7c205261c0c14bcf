-- Figures held for the same item and date but different: the newer file
-- supersedes them. Other dates stay: history.
UPDATE elaas_snapshots o
SET budget = f.budget,
    contract_amount = f.contract_amount,
    contract_signed_on = f.contract_signed_on,
    disbursed = f.disbursed,
    remaining = f.remaining,
    import_id = $1,
    imported_at = now()
FROM elaas_staged_figures f
WHERE o.id = f.held_id AND NOT f.unchanged
