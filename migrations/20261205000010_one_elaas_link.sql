-- One e-LAAS item belongs to at most one budget approval: two approvals
-- linked to one item count its disbursement twice in every aggregate. The
-- link mutations (src/elaas/matching.rs, `link_item`) check it and answer
-- ALREADY_LINKED; this constraint holds it against racing callers.
--
-- Items linked to several approvals already are resolved first, the same way
-- on every database: an officer's (manual) link wins over the matcher's
-- (auto), then the oldest approval (lowest id); the others lose their link
-- (and their version moves on, so a client holding the old one reloads).
-- The audit trail records each removed link.
WITH ranked AS (
    SELECT id,
           row_number() OVER (PARTITION BY elaas_item_id
                              ORDER BY (elaas_link_method = 'manual') DESC, id) AS rank
    FROM budget_approvals
    WHERE elaas_item_id IS NOT NULL
)
UPDATE budget_approvals ba
SET elaas_item_id = NULL, elaas_link_method = NULL, version = ba.version + 1
FROM ranked r
WHERE r.id = ba.id AND r.rank > 1;

-- NULLs are distinct: any number of approvals may be unlinked.
ALTER TABLE budget_approvals
    ADD CONSTRAINT budget_approvals_one_per_elaas_item UNIQUE (elaas_item_id);
-- The constraint's index serves every look-up the old one did.
DROP INDEX budget_approvals_elaas;
