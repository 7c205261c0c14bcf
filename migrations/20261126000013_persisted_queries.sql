-- Automatic persisted queries (APQ): documents clients registered by their
-- SHA-256, shared by every server process (a client may register on one and
-- run by hash on another).
CREATE TABLE persisted_queries (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    query      text NOT NULL CHECK (length(query) <= 100000),
    created_at timestamptz NOT NULL DEFAULT now()
);
