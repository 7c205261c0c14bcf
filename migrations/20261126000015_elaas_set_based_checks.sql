-- e-LAAS items and figures are written by the hundred thousand by imports. A
-- foreign key checks each row by its own lookup and locks the row it refers
-- to: over half of a national import's merge. These triggers give the same
-- guarantees once per statement, set-based:
--   * an item's organisation exists, and is locked against deletion
--     (FOR KEY SHARE, as a foreign key does) until the transaction ends;
--   * a figure's item exists; instead of locking each item, writers of
--     figures and deleters of items exclude each other by an advisory lock
--     (shared for writers, exclusive for deleters), so no figure can be left
--     without its item;
--   * deleting or truncating items deletes their figures (ON DELETE CASCADE).
-- The errors keep the foreign keys' SQLSTATE (23503) and constraint names.
-- Like a foreign key's own checks, the functions run as the tables' owner
-- (row-level security and column grants do not hide a referenced row).
ALTER TABLE elaas_snapshots DROP CONSTRAINT elaas_snapshots_elaas_item_id_fkey;
ALTER TABLE elaas_items DROP CONSTRAINT elaas_items_organisation_id_fkey;

-- Items → organisations.
CREATE FUNCTION elaas_items_check_organisations() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n.organisation_id INTO missing
    FROM (SELECT DISTINCT organisation_id FROM new_items) n
    LEFT JOIN LATERAL (SELECT o.id FROM organisations o WHERE o.id = n.organisation_id FOR KEY SHARE) o ON true
    WHERE o.id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "elaas_items" violates foreign key: no organisation %', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'elaas_items_organisation_id_fkey',
                  TABLE = 'elaas_items';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER elaas_items_organisation_insert AFTER INSERT ON elaas_items
    REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION elaas_items_check_organisations();
CREATE TRIGGER elaas_items_organisation_update AFTER UPDATE ON elaas_items
    REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION elaas_items_check_organisations();

CREATE FUNCTION organisations_keep_elaas_items() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_organisations o JOIN elaas_items i ON i.organisation_id = o.id) THEN
        RAISE EXCEPTION 'update or delete on table "organisations" violates foreign key: e-LAAS items refer to it'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'elaas_items_organisation_id_fkey',
                  TABLE = 'organisations';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER organisations_keep_elaas_items AFTER DELETE ON organisations
    REFERENCING OLD TABLE AS old_organisations FOR EACH STATEMENT EXECUTE FUNCTION organisations_keep_elaas_items();

-- Figures → items.
CREATE FUNCTION elaas_snapshots_check_items() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    missing bigint;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('tidtam.elaas_items_delete'));
    SELECT n.elaas_item_id INTO missing FROM new_snapshots n
    WHERE NOT EXISTS (SELECT 1 FROM elaas_items i WHERE i.id = n.elaas_item_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "elaas_snapshots" violates foreign key: no e-LAAS item %', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'elaas_snapshots_elaas_item_id_fkey',
                  TABLE = 'elaas_snapshots';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER elaas_snapshots_item_insert AFTER INSERT ON elaas_snapshots
    REFERENCING NEW TABLE AS new_snapshots FOR EACH STATEMENT EXECUTE FUNCTION elaas_snapshots_check_items();
CREATE TRIGGER elaas_snapshots_item_update AFTER UPDATE ON elaas_snapshots
    REFERENCING NEW TABLE AS new_snapshots FOR EACH STATEMENT EXECUTE FUNCTION elaas_snapshots_check_items();

CREATE FUNCTION elaas_items_lock_for_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('tidtam.elaas_items_delete'));
    RETURN NULL;
END $$;
CREATE TRIGGER elaas_items_lock_for_delete BEFORE DELETE OR TRUNCATE ON elaas_items
    FOR EACH STATEMENT EXECUTE FUNCTION elaas_items_lock_for_delete();

CREATE FUNCTION elaas_items_delete_snapshots() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    DELETE FROM elaas_snapshots s USING old_items o WHERE s.elaas_item_id = o.id;
    RETURN NULL;
END $$;
CREATE TRIGGER elaas_items_delete_snapshots AFTER DELETE ON elaas_items
    REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION elaas_items_delete_snapshots();

-- A DELETE, not a TRUNCATE: the same TRUNCATE statement may have emptied
-- elaas_snapshots already, and a table a statement truncates cannot be
-- truncated again inside it.
CREATE FUNCTION elaas_items_truncate_snapshots() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    DELETE FROM elaas_snapshots;
    RETURN NULL;
END $$;
CREATE TRIGGER elaas_items_truncate_snapshots AFTER TRUNCATE ON elaas_items
    FOR EACH STATEMENT EXECUTE FUNCTION elaas_items_truncate_snapshots();
