-- Every roster ever published; a kiosk asks for anything newer than the version it has.
CREATE TABLE rosters (
    version      INTEGER PRIMARY KEY,
    published_at TEXT NOT NULL,
    source       TEXT NOT NULL,
    entries      TEXT NOT NULL             -- JSON array of RosterRow
);
-- Every review decision, in order; `seq` is the kiosks' cursor.
CREATE TABLE decisions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    capture_id TEXT NOT NULL REFERENCES captures (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('approved', 'rejected')),
    reason     TEXT,
    reviewer   TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX decisions_by_capture ON decisions (capture_id, seq);
-- The latest decision, beside the capture.
ALTER TABLE captures ADD COLUMN verdict TEXT;
ALTER TABLE captures ADD COLUMN reason TEXT;
ALTER TABLE captures ADD COLUMN reviewed_at TEXT;
-- Each kiosk's latest heartbeat.
CREATE TABLE heartbeats (
    kiosk       TEXT PRIMARY KEY REFERENCES kiosks (name),
    received_at TEXT NOT NULL,
    report      TEXT NOT NULL               -- JSON Heartbeat
);
-- Who may use /review: a salted sha256 of a generated password.
CREATE TABLE reviewers (
    name            TEXT PRIMARY KEY,
    salt            TEXT NOT NULL,
    password_sha256 TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
