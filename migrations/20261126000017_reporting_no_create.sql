-- The BI role creates nothing. PostgreSQL 15 and later no longer let PUBLIC
-- create objects in schema public, but 13 and 14 do, and every role (so
-- tidtam_reporting and its logins) is a member of PUBLIC: revoke it here so
-- that a BI login cannot make a table or view (SQLSTATE 42501) on any version.
-- The role that migrates keeps CREATE: it owns the schema (or is a
-- superuser). Where it owns neither (PostgreSQL 14 with schema public owned by
-- postgres), PostgreSQL turns this REVOKE into a warning and changes nothing;
-- docs/bi.md says to run it once as the superuser there.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA reporting FROM PUBLIC;
-- Nor a schema of its own: PUBLIC has no CREATE on a database by default, but
-- a database made from a template with other defaults could.
DO $$
BEGIN
    EXECUTE format('REVOKE CREATE ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
