-- Who may see and change what: accounts, their tokens, and row-level security
-- that holds every request to its caller's scope even where a resolver forgets
-- to check (docs/access.md).

-- A person or a program that signs in. Officers and approvers belong to one
-- LAO (อปท.), evaluators to one province.
CREATE TABLE accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    display_name    text NOT NULL CHECK (btrim(display_name) <> ''),
    password_hash   text,   -- argon2id PHC string; NULL: signs in with API tokens only
    role            text NOT NULL CHECK (role IN ('lao_officer', 'lao_approver', 'provincial_evaluator',
                                                  'central_analyst', 'admin')),
    organisation_id bigint REFERENCES organisations (id),
    province_code   text REFERENCES provinces (code),
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_lao_scope CHECK ((role IN ('lao_officer', 'lao_approver')) = (organisation_id IS NOT NULL)),
    CONSTRAINT accounts_province_scope CHECK ((role = 'provincial_evaluator') = (province_code IS NOT NULL))
);

-- A bearer token: a session of a person (short) or an API token of a
-- dashboard or BI tool (long). Only the SHA-256 of the secret is kept.
CREATE TABLE api_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('session', 'api')),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    secret_hash bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- The audit trail names the organisation a change belongs to, so that an
-- officer can read the history of their own LAO and no other.
ALTER TABLE audit_log ADD COLUMN organisation_id bigint;
CREATE INDEX audit_log_organisation ON audit_log (organisation_id);

-- The organisation of a plan project, an approval, a report. SECURITY DEFINER:
-- they answer the question for policies whatever the caller may read.
CREATE FUNCTION tidtam_project_org(project bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT dp.organisation_id FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
    WHERE pp.id = project
$$;
CREATE FUNCTION tidtam_plan_org(plan bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT organisation_id FROM development_plans WHERE id = plan
$$;
CREATE FUNCTION tidtam_approval_org(approval bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT dp.organisation_id FROM budget_approvals ba
    JOIN plan_projects pp ON pp.id = ba.plan_project_id
    JOIN development_plans dp ON dp.id = pp.plan_id
    WHERE ba.id = approval
$$;
CREATE FUNCTION tidtam_report_org(report bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT tidtam_approval_org(budget_approval_id) FROM project_reports WHERE id = report
$$;
CREATE FUNCTION tidtam_item_org(item bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT organisation_id FROM elaas_items WHERE id = item
$$;

CREATE FUNCTION tidtam_plan_published(plan bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT approved_on IS NOT NULL FROM development_plans WHERE id = plan
$$;
CREATE FUNCTION tidtam_project_published(project bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT dp.approved_on IS NOT NULL FROM plan_projects pp JOIN development_plans dp ON dp.id = pp.plan_id
    WHERE pp.id = project
$$;
CREATE FUNCTION tidtam_report_published(report bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT status <> 'draft' FROM project_reports WHERE id = report
$$;

CREATE FUNCTION audit_organisation(tbl text, j jsonb) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE tbl
        WHEN 'organisations' THEN (j ->> 'id')::bigint
        WHEN 'development_plans' THEN (j ->> 'organisation_id')::bigint
        WHEN 'elaas_items' THEN (j ->> 'organisation_id')::bigint
        WHEN 'lao_strategies' THEN (SELECT organisation_id FROM development_plans WHERE id = (j ->> 'plan_id')::bigint)
        WHEN 'plan_amendments' THEN (SELECT organisation_id FROM development_plans WHERE id = (j ->> 'plan_id')::bigint)
        WHEN 'plan_projects' THEN (SELECT organisation_id FROM development_plans WHERE id = (j ->> 'plan_id')::bigint)
        WHEN 'plan_project_budgets' THEN tidtam_project_org((j ->> 'plan_project_id')::bigint)
        WHEN 'budget_approvals' THEN tidtam_project_org((j ->> 'plan_project_id')::bigint)
        WHEN 'elaas_snapshots' THEN (SELECT organisation_id FROM elaas_items WHERE id = (j ->> 'elaas_item_id')::bigint)
        WHEN 'project_reports' THEN tidtam_approval_org((j ->> 'budget_approval_id')::bigint)
        WHEN 'report_progress' THEN tidtam_report_org((j ->> 'report_id')::bigint)
    END
$$;

-- The audit trigger and the data-version bump run with their owner's rights:
-- a scoped request may change its own rows, never the audit trail itself.
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    actor text := coalesce(nullif(current_setting('tidtam.actor', true), ''), session_user);
    old_json jsonb;
    new_json jsonb;
    key_json jsonb;
BEGIN
    IF current_setting('tidtam.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    old_json := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_json := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    key_json := coalesce(new_json, old_json);
    IF TG_OP = 'UPDATE' AND old_json = new_json THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor, table_name, row_key, action, before, after, organisation_id)
    VALUES (actor, TG_TABLE_NAME,
            coalesce(key_json ->> 'id', key_json ->> 'code', key_json ->> 'component',
                     concat_ws('/', key_json ->> 'plan_project_id', key_json ->> 'report_id',
                               key_json ->> 'plan_year', key_json ->> 'fiscal_quarter',
                               key_json ->> 'fiscal_year', key_json ->> 'stage')),
            lower(TG_OP), old_json, new_json, audit_organisation(TG_TABLE_NAME, key_json));
    RETURN NULL;
END $$;
ALTER FUNCTION bump_data_version() SECURITY DEFINER;
ALTER FUNCTION bump_data_version() SET search_path = public;

UPDATE audit_log SET organisation_id = audit_organisation(table_name, coalesce(after, before));

-- The scope of the request, set per transaction by the server (src/auth/session.rs):
--   tidtam.read_all   'on' for central analysts and administrators
--   tidtam.org        the LAO an officer or approver belongs to
--   tidtam.province   the province an evaluator belongs to
--   tidtam.write_org  the LAO whose data the request may change
-- Unset settings read as '' (current_setting(…, true) after a SET LOCAL in
-- another transaction of the same connection) or NULL (never set).

-- May the request read everything of this organisation, published or not?
CREATE FUNCTION tidtam_sees(org bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('tidtam.read_all', true), '') = 'on'
        OR org = nullif(current_setting('tidtam.org', true), '')::bigint
        OR EXISTS (SELECT 1 FROM organisations o
                   WHERE o.id = org AND o.province_code = nullif(current_setting('tidtam.province', true), ''))
$$;

-- May the request change this organisation's data?
CREATE FUNCTION tidtam_writes(org bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT org = nullif(current_setting('tidtam.write_org', true), '')::bigint
$$;

-- The role every request of a scoped caller runs as (SET LOCAL ROLE): it is
-- not the owner of the tables, so row-level security applies to it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_request') THEN
        CREATE ROLE tidtam_request NOLOGIN;
    END IF;
    IF NOT pg_has_role(current_user, 'tidtam_request', 'MEMBER') THEN
        EXECUTE format('GRANT tidtam_request TO %I', current_user);
    END IF;
END $$;

GRANT USAGE ON SCHEMA public TO tidtam_request;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO tidtam_request;
REVOKE SELECT ON accounts, api_tokens FROM tidtam_request;
GRANT INSERT, UPDATE, DELETE ON development_plans, lao_strategies, plan_amendments, plan_projects,
    plan_project_budgets, budget_approvals, elaas_items, elaas_snapshots, elaas_imports,
    project_reports, report_progress TO tidtam_request;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO tidtam_request;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO tidtam_request;

-- Read: published rows for everyone, every row of the organisations in scope.
-- Write: only rows of the request's own LAO. An update of a row the request
-- may read but not change fails loudly (WITH CHECK), instead of changing
-- nothing in silence.
CREATE FUNCTION tidtam_protect(tbl text, published text, org text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY read ON %I FOR SELECT USING (%s OR tidtam_sees(%s))', tbl, published, org);
    EXECUTE format('CREATE POLICY add ON %I FOR INSERT WITH CHECK (tidtam_writes(%s))', tbl, org);
    EXECUTE format('CREATE POLICY change ON %I FOR UPDATE USING (%s OR tidtam_sees(%s)) WITH CHECK (tidtam_writes(%s))',
                   tbl, published, org, org);
    EXECUTE format('CREATE POLICY remove ON %I FOR DELETE USING (tidtam_writes(%s))', tbl, org);
END $$;

-- A plan is published once approved (อนุมัติแผน); its strategies, amendments
-- and projects with it. Budget approvals (the ordinance is a public act) and
-- e-LAAS figures are public. A report is published once submitted.
SELECT tidtam_protect('development_plans', 'approved_on IS NOT NULL', 'organisation_id');
SELECT tidtam_protect('lao_strategies', 'tidtam_plan_published(plan_id)', 'tidtam_plan_org(plan_id)');
SELECT tidtam_protect('plan_amendments', 'tidtam_plan_published(plan_id)', 'tidtam_plan_org(plan_id)');
SELECT tidtam_protect('plan_projects', 'tidtam_plan_published(plan_id)', 'tidtam_plan_org(plan_id)');
SELECT tidtam_protect('plan_project_budgets', 'tidtam_project_published(plan_project_id)',
                      'tidtam_project_org(plan_project_id)');
SELECT tidtam_protect('budget_approvals', 'true', 'tidtam_project_org(plan_project_id)');
SELECT tidtam_protect('elaas_items', 'true', 'organisation_id');
SELECT tidtam_protect('elaas_snapshots', 'true', 'tidtam_item_org(elaas_item_id)');
SELECT tidtam_protect('project_reports', 'status <> ''draft''', 'tidtam_approval_org(budget_approval_id)');
SELECT tidtam_protect('report_progress', 'tidtam_report_published(report_id)', 'tidtam_report_org(report_id)');
DROP FUNCTION tidtam_protect(text, text, text);

-- An import record names no single LAO; its rows are checked on elaas_items.
ALTER TABLE elaas_imports ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON elaas_imports FOR SELECT USING (tidtam_sees(NULL) OR actor = current_setting('tidtam.actor', true));
CREATE POLICY add ON elaas_imports FOR INSERT WITH CHECK (nullif(current_setting('tidtam.write_org', true), '') IS NOT NULL);

-- The audit trail: what the request may read in full.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON audit_log FOR SELECT USING (tidtam_sees(organisation_id));

-- A coordinator's phone number, shown only to a request that reads the
-- report's organisation in full: published reports go out without it.
CREATE FUNCTION tidtam_visible_phone(approval bigint, phone text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN tidtam_sees(tidtam_approval_org(approval)) THEN phone END
$$;

-- Views run with their owner's rights unless told otherwise, which would skip
-- the policies above for every request that reads through them: they run as
-- the caller instead (PostgreSQL 15+; older servers keep owner's rights and
-- docs/access.md says so).
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 150000 THEN
        ALTER VIEW approval_facts SET (security_invoker = on);
        ALTER VIEW elaas_latest SET (security_invoker = on);
    END IF;
END $$;
