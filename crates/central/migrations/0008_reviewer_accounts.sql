-- Reviewer passwords as argon2id (PHC strings); a reviewer of the salted-sha256 days is
-- moved over at their next log-in (salt and password_sha256 are then emptied).
ALTER TABLE reviewers ADD COLUMN password_hash TEXT;
-- Reviewer sessions, kept across restarts: the cookie's sha256, never the cookie itself.
CREATE TABLE review_sessions (
    token_sha256 TEXT PRIMARY KEY,
    reviewer     TEXT NOT NULL REFERENCES reviewers (name) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
-- Failed log-ins for the throttle, per account ('name:…') and per address ('addr:…').
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
