-- An attempt while a key of $1 is blocked: counted on each blocked key (and
-- so audited); the longest wait left, in seconds, or NULL when none is blocked.
WITH refused AS (
    UPDATE sign_in_throttle
    SET refused = refused + 1
    WHERE id = ANY($1) AND blocked_until > now()
    RETURNING extract(epoch FROM blocked_until - now())::float8 AS wait
)
SELECT max(wait) FROM refused
