-- What a role that only reads (the BI role tidtam_reporting, docs/bi.md) must
-- not do with the database as a whole, applied after the migrations on every
-- `db::migrate` (docs/access.md, "Limits and the abuse each stops"):
--
-- * create temporary tables: every role may by default (PUBLIC holds TEMP on
--   each database), and a BI login could fill the disk with them. A
--   database's privileges are not in the database itself: neither a copy
--   made from a template nor a restore without --create carries them, so
--   they are set again here each time rather than once by a migration.
--   tidtam_request keeps TEMP: an LAO officer's e-LAAS import stages its
--   rows in temporary tables. The owner keeps it as owner.
-- * create large objects (lo_create, lo_creat, lo_from_bytea, lo_import): any
--   role may by default, and large objects are outside every table's grants.
--   Tidtam uses none.
--
-- Only the database's owner (or a superuser) can change the first, only a
-- superuser the second: for any other role each is left with a warning that
-- says what to run.
DO $$
DECLARE
    db   text := current_database();
    f    regprocedure;
BEGIN
    IF pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = db), 'USAGE') THEN
        IF has_database_privilege('public', db, 'TEMP') THEN
            EXECUTE format('REVOKE TEMP ON DATABASE %I FROM PUBLIC', db);
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_reporting')
           AND has_database_privilege('tidtam_reporting', db, 'TEMP') THEN
            EXECUTE format('REVOKE TEMP ON DATABASE %I FROM tidtam_reporting', db);
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_request')
           AND NOT has_database_privilege('tidtam_request', db, 'TEMP') THEN
            EXECUTE format('GRANT TEMP ON DATABASE %I TO tidtam_request', db);
        END IF;
    ELSIF has_database_privilege('public', db, 'TEMP') THEN
        RAISE WARNING 'every role may create temporary tables in database %: run REVOKE TEMP ON DATABASE % FROM PUBLIC; GRANT TEMP ON DATABASE % TO tidtam_request; as its owner (docs/bi.md)',
            db, quote_ident(db), quote_ident(db);
    END IF;

    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND p.proname IN ('lo_create', 'lo_creat', 'lo_from_bytea', 'lo_import')
          AND has_function_privilege('public', p.oid, 'EXECUTE')
    LOOP
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        ELSE
            RAISE WARNING 'every role may create large objects with %: run REVOKE EXECUTE ON FUNCTION % FROM PUBLIC; as a superuser (docs/bi.md)', f, f;
        END IF;
    END LOOP;
END
$$;
