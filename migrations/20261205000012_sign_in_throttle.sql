-- Sign-in throttling (docs/access.md, "Sign-in throttling"): failed sign-ins
-- counted per account name and per client address; past a limit each further
-- failure blocks the key for a growing delay. In PostgreSQL, so that every
-- server process shares one count and a restart forgets nothing.
--
-- `id` is 'account:<username>' (known or not: the answer must not tell) or
-- 'address:<ip>' (an IPv6 address by its /64). Only the server's own pool
-- reads and writes it (src/auth/throttle.rs); the request and reporting roles
-- have no rights on it. Every change is audited, so each failure, each block
-- and each attempt refused while blocked (`refused`) leaves an audit row.
CREATE TABLE sign_in_throttle (
    id            text PRIMARY KEY CHECK (length(id) <= 200),
    -- failures since the last quiet spell (a window without failures)
    failures      integer NOT NULL DEFAULT 0,
    last_failure  timestamptz NOT NULL DEFAULT now(),
    -- refused without checking the password until then
    blocked_until timestamptz,
    -- attempts refused while blocked
    refused       integer NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_throttle_last_failure ON sign_in_throttle (last_failure);

CREATE TRIGGER sign_in_throttle_audit AFTER INSERT OR UPDATE OR DELETE ON sign_in_throttle
    -- (it needs a list of secret columns; this table has none)
    FOR EACH ROW EXECUTE FUNCTION audit_row_without_secrets('no_secret');

REVOKE ALL ON sign_in_throttle FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_request') THEN
        REVOKE ALL ON sign_in_throttle FROM tidtam_request;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidtam_reporting') THEN
        REVOKE ALL ON sign_in_throttle FROM tidtam_reporting;
    END IF;
END $$;
