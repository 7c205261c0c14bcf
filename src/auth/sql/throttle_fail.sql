-- A failed sign-in, counted on each key of $1; a count whose last failure is
-- older than $2 seconds starts again.
INSERT INTO sign_in_throttle AS t (id, failures, last_failure)
SELECT k, 1, now() FROM unnest($1::text[]) AS k
ON CONFLICT (id) DO UPDATE SET
    failures = CASE WHEN t.last_failure < now() - make_interval(secs => $2) THEN 1
                    ELSE t.failures + 1 END,
    last_failure = now()
RETURNING id, failures
