-- The analytics layer holds frames in memory; every change of the data they
-- are built from bumps one version and tells other server processes
-- (LISTEN tidtam_data_changed), so the next aggregate is built from fresh data.

CREATE TABLE data_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL
);
INSERT INTO data_version (version) VALUES (1);

CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
    UPDATE data_version SET version = version + 1 RETURNING version INTO v;
    PERFORM pg_notify('tidtam_data_changed', v::text);
    RETURN NULL;
END $$;

-- Weights of the components of the performance score; an administrator may
-- change them (docs/performance-score.md explains each).
CREATE TABLE score_weights (
    component text PRIMARY KEY CHECK (component IN ('plan_to_budget', 'reporting', 'elaas_link',
                                                    'disbursement', 'completion', 'timeliness')),
    weight    numeric(6, 3) NOT NULL CHECK (weight >= 0)
);
INSERT INTO score_weights (component, weight) VALUES
    ('plan_to_budget', 1), ('reporting', 2), ('elaas_link', 1),
    ('disbursement', 2), ('completion', 2), ('timeliness', 1);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organisations', 'development_plans', 'lao_strategies', 'plan_amendments',
                             'plan_projects', 'plan_project_budgets', 'elaas_items', 'elaas_snapshots',
                             'budget_approvals', 'project_reports', 'reporting_deadlines', 'score_weights']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()', t || '_version', t);
    END LOOP;
END $$;

-- Audit rows of score weights are keyed by their component.
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
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
            coalesce(key_json ->> 'id', key_json ->> 'code', key_json ->> 'component',
                     concat_ws('/', key_json ->> 'plan_project_id', key_json ->> 'report_id',
                               key_json ->> 'plan_year', key_json ->> 'fiscal_quarter',
                               key_json ->> 'fiscal_year', key_json ->> 'stage')),
            lower(TG_OP), old_json, new_json);
    RETURN NULL;
END $$;

CREATE TRIGGER score_weights_audit AFTER INSERT OR UPDATE OR DELETE ON score_weights
    FOR EACH ROW EXECUTE FUNCTION audit_row();
