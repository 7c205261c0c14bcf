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
