-- Automatic persisted queries are bounded (issue 22): the server stores only
-- documents that parsed and validated, keeps at most a count and a total
-- size of them, and evicts the least recently used first
-- (src/http/persisted.rs). A pinned document (an operator's) is never
-- evicted and does not count against the cap.
ALTER TABLE persisted_queries
    ADD COLUMN used_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN pinned boolean NOT NULL DEFAULT false;

CREATE INDEX persisted_queries_recent ON persisted_queries (used_at DESC, sha256) WHERE NOT pinned;
