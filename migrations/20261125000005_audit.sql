-- Audit log of every change: who (the `tidtam.actor` setting of the transaction),
-- when, which row, and the row before and after.

CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    table_name text NOT NULL,
    row_key    text NOT NULL,
    action     text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    before     jsonb,
    after      jsonb
);
CREATE INDEX audit_log_row ON audit_log (table_name, row_key);

CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor text := coalesce(nullif(current_setting('tidtam.actor', true), ''), session_user);
    old_json jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_json jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    key_json jsonb := coalesce(new_json, old_json);
BEGIN
    IF TG_OP = 'UPDATE' AND old_json = new_json THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor, table_name, row_key, action, before, after)
    VALUES (actor, TG_TABLE_NAME,
            coalesce(key_json ->> 'id', key_json ->> 'code',
                     concat_ws('/', key_json ->> 'plan_project_id', key_json ->> 'report_id',
                               key_json ->> 'plan_year', key_json ->> 'fiscal_quarter',
                               key_json ->> 'fiscal_year', key_json ->> 'stage')),
            lower(TG_OP), old_json, new_json);
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['provinces', 'organisations', 'plan_editions', 'plan_nodes', 'development_plans',
                             'lao_strategies', 'plan_amendments', 'plan_projects', 'plan_project_budgets',
                             'elaas_items', 'elaas_snapshots', 'budget_approvals', 'project_reports',
                             'report_progress', 'reporting_deadlines']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION audit_row()', t || '_audit', t);
    END LOOP;
END $$;
