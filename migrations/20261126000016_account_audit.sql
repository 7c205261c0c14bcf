-- Accounts and tokens in the audit trail: who created, disabled, signed in
-- (a session token), made or revoked a token, under the acting account
-- (`tidtam.actor`, set by src/auth/store.rs). The secrets never go in: the
-- password hash and the token's SHA-256 are left out of `before`/`after`;
-- a change of one shows as the column's name with the value 'changed'.

-- Like audit_row (…_auth.sql), with the columns named by the trigger's
-- arguments left out. The rows name no organisation, so only callers who
-- read every LAO see them (audit_log's policy).
CREATE FUNCTION audit_row_without_secrets() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    actor text := coalesce(nullif(current_setting('tidtam.actor', true), ''), session_user);
    old_json jsonb;
    new_json jsonb;
    secret text;
BEGIN
    IF current_setting('tidtam.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    old_json := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_json := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    IF TG_OP = 'UPDATE' AND old_json = new_json THEN
        RETURN NULL;
    END IF;
    FOREACH secret IN ARRAY TG_ARGV LOOP
        IF TG_OP = 'UPDATE' AND (old_json -> secret) IS DISTINCT FROM (new_json -> secret) THEN
            new_json := new_json || jsonb_build_object(secret, 'changed');
        ELSE
            new_json := new_json - secret;
        END IF;
        old_json := old_json - secret;
    END LOOP;
    INSERT INTO audit_log (actor, table_name, row_key, action, before, after, organisation_id)
    VALUES (actor, TG_TABLE_NAME, coalesce(new_json, old_json) ->> 'id', lower(TG_OP), old_json, new_json, NULL);
    RETURN NULL;
END $$;

CREATE TRIGGER accounts_audit AFTER INSERT OR UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION audit_row_without_secrets('password_hash');
CREATE TRIGGER api_tokens_audit AFTER INSERT OR UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION audit_row_without_secrets('secret_hash');

-- The approver's right (อนุมัติแผน, อนุมัติงบประมาณ, reopening a completed
-- report) held by PostgreSQL too, not only by the gate (src/auth/gate.rs):
-- a scoped request (role tidtam_request) may do these only for the LAO in
-- `tidtam.approve_org`, which src/auth/session.rs sets for approvers alone.
-- Administrators, the command line and the loaders run as the owner and
-- keep their rights.
CREATE FUNCTION tidtam_approves(org bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT current_user <> 'tidtam_request'
        OR coalesce(org = nullif(current_setting('tidtam.approve_org', true), '')::bigint, false)
$$;

CREATE FUNCTION tidtam_check_approver() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    org bigint;
BEGIN
    IF TG_TABLE_NAME = 'development_plans' THEN
        IF NEW.approved_on IS NULL
           OR (TG_OP = 'UPDATE' AND OLD.approved_on IS NOT DISTINCT FROM NEW.approved_on) THEN
            RETURN NEW;
        END IF;
        org := NEW.organisation_id;
    ELSIF TG_TABLE_NAME = 'budget_approvals' THEN
        org := tidtam_project_org(NEW.plan_project_id);
    ELSIF TG_TABLE_NAME = 'project_reports' THEN
        IF NOT (OLD.status = 'completed' AND NEW.status <> 'completed') THEN
            RETURN NEW;
        END IF;
        org := tidtam_approval_org(NEW.budget_approval_id);
    END IF;
    IF NOT tidtam_approves(org) THEN
        RAISE EXCEPTION 'only an approver of the LAO may approve or reopen (%)', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER development_plans_approver BEFORE INSERT OR UPDATE OF approved_on ON development_plans
    FOR EACH ROW EXECUTE FUNCTION tidtam_check_approver();
CREATE TRIGGER budget_approvals_approver BEFORE INSERT ON budget_approvals
    FOR EACH ROW EXECUTE FUNCTION tidtam_check_approver();
CREATE TRIGGER project_reports_approver BEFORE UPDATE OF status ON project_reports
    FOR EACH ROW EXECUTE FUNCTION tidtam_check_approver();

GRANT EXECUTE ON FUNCTION tidtam_approves(bigint), tidtam_check_approver() TO tidtam_request;
