-- Changes tracked without a hot row (docs/live-analytics.md).
--
-- Until now every statement on the twelve tables the analytics frames are
-- built from ran `UPDATE data_version SET version = version + 1`: one row that
-- every writer in the country locked until its commit, so one LAO's open
-- transaction (or a 15 s e-LAAS import) held every other LAO's save. Now each
-- statement appends to a log the organisations its rows belong to (from the
-- statement's transition tables). An identity column numbers the changes: a
-- sequence, which hands out numbers without a lock held to commit, so writers
-- of different LAOs never wait for one another. The analytics layer reads the
-- log to patch the frames of the organisations that changed.

CREATE TABLE data_changes (
    -- The change's number: `dataVersion`. Numbers are taken when the
    -- statement runs, so a transaction may commit after a higher number.
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction: readers of the log take what committed since
    -- their snapshot's xmin, whatever its number (see src/analytics/changes.rs).
    xid             xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- The organisation whose data changed; NULL: data of every organisation
    -- (score weights, deadlines, a TRUNCATE), which reloads the frames whole.
    organisation_id bigint,
    -- The table written, for people reading the log.
    source          text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX data_changes_xid ON data_changes (xid);
CREATE INDEX data_changes_changed_at ON data_changes (changed_at);

-- The numbering goes on from the old version, so no client sees it go back.
INSERT INTO data_changes (seq, organisation_id, source) OVERRIDING SYSTEM VALUE
SELECT version, NULL, 'data_version' FROM data_version;
SELECT setval(pg_get_serial_sequence('data_changes', 'seq'), (SELECT max(seq) FROM data_changes));

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organisations', 'development_plans', 'lao_strategies', 'plan_amendments',
                             'plan_projects', 'plan_project_budgets', 'elaas_items', 'elaas_snapshots',
                             'budget_approvals', 'project_reports', 'reporting_deadlines', 'score_weights']
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_version', t);
    END LOOP;
END $$;
DROP FUNCTION bump_data_version();
DROP TABLE data_version;

-- The newest change number, as the old table gave it (operators' scripts and
-- `SELECT version FROM data_version` keep working).
CREATE VIEW data_version AS SELECT coalesce(max(seq), 0)::bigint AS version FROM data_changes;

-- Logs the organisations of the rows a statement wrote. TG_ARGV[0] is a query
-- over the transition table named by %1$I that gives each row's organisation
-- (through its parents where the table has no organisation_id of its own); no
-- argument: the table holds data of every organisation. A parent deleted in
-- the same statement (a cascade) logs itself, so a row whose parent is gone
-- is skipped here.
CREATE FUNCTION log_data_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    logged bigint;
    names text;
BEGIN
    IF TG_OP = 'TRUNCATE' OR TG_NARGS = 0 THEN
        INSERT INTO data_changes (organisation_id, source) VALUES (NULL, TG_TABLE_NAME);
        PERFORM pg_notify('tidtam_data_changed', TG_TABLE_NAME || ' *');
        RETURN NULL;
    END IF;
    EXECUTE format(
        'WITH logged AS (
             INSERT INTO data_changes (organisation_id, source)
             SELECT DISTINCT o, %L FROM (%s UNION %s) t(o) WHERE o IS NOT NULL
             RETURNING organisation_id)
         SELECT count(*), string_agg(organisation_id::text, '','') FILTER (WHERE organisation_id IS NOT NULL)
         FROM (SELECT organisation_id FROM logged LIMIT 20) l',
        TG_TABLE_NAME,
        CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN format(TG_ARGV[0], 'new_rows') ELSE 'SELECT NULL::bigint' END,
        CASE WHEN TG_OP IN ('DELETE', 'UPDATE') THEN format(TG_ARGV[0], 'old_rows') ELSE 'SELECT NULL::bigint' END)
    INTO logged, names;
    IF logged > 0 THEN
        -- The payload names what changed, for people; listeners read the log.
        PERFORM pg_notify('tidtam_data_changed', TG_TABLE_NAME || ' ' || names);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    via_plan constant text := 'SELECT dp.organisation_id FROM %1$I r JOIN development_plans dp ON dp.id = r.plan_id';
    via_project constant text := 'SELECT dp.organisation_id FROM %1$I r JOIN plan_projects pp ON pp.id = r.plan_project_id '
                                 'JOIN development_plans dp ON dp.id = pp.plan_id';
    tables constant text[][] := ARRAY[
        ['organisations', 'SELECT id FROM %1$I'],
        ['development_plans', 'SELECT organisation_id FROM %1$I'],
        ['lao_strategies', via_plan],
        ['plan_amendments', via_plan],
        ['plan_projects', via_plan],
        ['plan_project_budgets', via_project],
        ['elaas_items', 'SELECT organisation_id FROM %1$I'],
        ['elaas_snapshots', 'SELECT i.organisation_id FROM %1$I r JOIN elaas_items i ON i.id = r.elaas_item_id'],
        ['budget_approvals', via_project],
        ['project_reports', 'SELECT dp.organisation_id FROM %1$I r JOIN budget_approvals ba ON ba.id = r.budget_approval_id '
                            'JOIN plan_projects pp ON pp.id = ba.plan_project_id JOIN development_plans dp ON dp.id = pp.plan_id']];
    i int;
    t text;
    q text;
BEGIN
    FOR i IN 1 .. array_length(tables, 1) LOOP
        t := tables[i][1];
        q := tables[i][2];
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION log_data_change(%L)', t || '_logged_insert', t, q);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION log_data_change(%L)', t || '_logged_update', t, q);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION log_data_change(%L)', t || '_logged_delete', t, q);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION log_data_change()', t || '_logged_truncate', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['reporting_deadlines', 'score_weights'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION log_data_change()', t || '_logged', t);
    END LOOP;
END $$;

GRANT SELECT ON data_changes, data_version TO tidtam_request;
