-- What pruning took from the change log (docs/live-analytics.md).
--
-- Saved analytics frames may be restored at start-up only if the log still
-- holds every change they do not include. Their age was the proxy for that
-- (the log keeps an hour), so a server stopped overnight read the year from
-- PostgreSQL again though nobody had pruned anything. Pruning now records
-- the newest transaction whose changes it removed; frames saved at a mark
-- above it are restorable however old they are.
CREATE TABLE data_changes_pruned (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- The newest transaction (as a number) with a change pruned.
    newest_xid bigint NOT NULL
);
