-- New figures are inserted; figures for an item and date already held are
-- replaced when they differ (the newer file supersedes) and left alone when
-- equal, so the same file twice changes nothing. Other dates stay: history.
-- Returns how many were inserted and how many updated.
WITH written AS (
    INSERT INTO elaas_snapshots AS old (elaas_item_id, as_of, budget, contract_amount, contract_signed_on,
                                        disbursed, remaining, import_id)
    SELECT i.id, s.as_of, s.budget, s.contract_amount, s.contract_signed_on, s.disbursed, s.remaining, $1
    FROM elaas_staging s
    JOIN elaas_items i
      ON i.organisation_id = s.organisation_id AND i.fiscal_year = s.fiscal_year AND i.item_code = s.item_code
    ORDER BY i.id, s.as_of
    ON CONFLICT (elaas_item_id, as_of) DO UPDATE
    SET budget = excluded.budget,
        contract_amount = excluded.contract_amount,
        contract_signed_on = excluded.contract_signed_on,
        disbursed = excluded.disbursed,
        remaining = excluded.remaining,
        import_id = excluded.import_id,
        imported_at = now()
    WHERE (old.budget, old.contract_amount, old.contract_signed_on, old.disbursed, old.remaining)
          IS DISTINCT FROM
          (excluded.budget, excluded.contract_amount, excluded.contract_signed_on, excluded.disbursed, excluded.remaining)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM written
