-- One e-LAAS import at a time (src/elaas/import/mod.rs, `load`): each import
-- locks this table's one row (SELECT … FOR UPDATE) for its transaction. It
-- was an advisory lock, which any role may take, the BI role too: a BI login
-- holding `pg_advisory_lock(hashtext('tidtam.elaas_import'))` stalled every
-- import. A row lock needs UPDATE on the table, which only the server's own
-- roles have (docs/access.md, "Limits and the abuse each stops").
CREATE TABLE elaas_import_lock (
    id boolean PRIMARY KEY DEFAULT true CHECK (id)
);
INSERT INTO elaas_import_lock (id) VALUES (true);

REVOKE ALL ON elaas_import_lock FROM PUBLIC;
DO $$
BEGIN
    -- An LAO officer imports its own LAO's file as tidtam_request.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_request') THEN
        REVOKE ALL ON elaas_import_lock FROM tidtam_request;
        GRANT SELECT, UPDATE ON elaas_import_lock TO tidtam_request;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_reporting') THEN
        REVOKE ALL ON elaas_import_lock FROM tidtam_reporting;
    END IF;
END $$;
