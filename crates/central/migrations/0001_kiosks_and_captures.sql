-- The kiosks (only the sha256 of each bearer token is kept) and the captures received.
-- Times are RFC 3339 in UTC.
CREATE TABLE kiosks (
    name         TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);
CREATE TABLE captures (
    id              TEXT PRIMARY KEY,
    kiosk           TEXT NOT NULL REFERENCES kiosks (name),
    sha256          TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    admission_no    TEXT NOT NULL,
    name            TEXT NOT NULL,
    education_level TEXT NOT NULL,
    profile         TEXT NOT NULL,
    taken_at        TEXT NOT NULL,
    retakes         INTEGER NOT NULL,
    checks          TEXT NOT NULL,          -- the compliance report, JSON
    photo_file      TEXT NOT NULL           -- relative to the data directory
);
CREATE INDEX captures_by_arrival ON captures (received_at);
