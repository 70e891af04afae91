-- The roster, captures, their outbox and the audit log.
-- Times are RFC 3339 strings (UTC since 0005_utc_times).

CREATE TABLE roster (
    admission_no    TEXT NOT NULL,
    education_level TEXT NOT NULL,
    name            TEXT NOT NULL,
    phone           TEXT,
    PRIMARY KEY (admission_no, education_level)
) WITHOUT ROWID;

-- One row: where the current roster came from.
CREATE TABLE roster_source (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    imported_at TEXT NOT NULL,
    source      TEXT NOT NULL,
    entries     INTEGER NOT NULL
);

-- An accepted photo. Rows are never updated except for the review decision.
CREATE TABLE captures (
    id              TEXT PRIMARY KEY,       -- UUID chosen when the photo was taken
    admission_no    TEXT NOT NULL,
    education_level TEXT NOT NULL,
    name            TEXT NOT NULL,          -- as on the roster at capture time
    mobile          TEXT NOT NULL,          -- for the review notification (consented)
    profile         TEXT NOT NULL,
    taken_at        TEXT NOT NULL,
    accepted_at     TEXT NOT NULL,
    retakes         INTEGER NOT NULL,
    photo_file      TEXT NOT NULL UNIQUE,   -- relative to the data directory
    photo_sha256    TEXT NOT NULL,
    photo_bytes     INTEGER NOT NULL,
    review_status   TEXT NOT NULL DEFAULT 'pending'
                    CHECK (review_status IN ('pending', 'approved', 'rejected')),
    review_reason   TEXT,
    reviewed_at     TEXT
);
CREATE INDEX captures_by_candidate ON captures (admission_no, education_level, accepted_at);
CREATE INDEX captures_by_day ON captures (accepted_at);

-- What still has to reach the central service. A row leaves only with a receipt.
CREATE TABLE outbox (
    capture_id      TEXT PRIMARY KEY REFERENCES captures (id) ON DELETE RESTRICT,
    enqueued_at     TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    permanent_error INTEGER NOT NULL DEFAULT 0,
    uploaded_at     TEXT,
    receipt_sha256  TEXT
);
CREATE INDEX outbox_pending ON outbox (uploaded_at, enqueued_at);

-- Staff re-opened a candidate for another photo.
CREATE TABLE reopenings (
    id              INTEGER PRIMARY KEY,
    admission_no    TEXT NOT NULL,
    education_level TEXT NOT NULL,
    reopened_at     TEXT NOT NULL,
    reason          TEXT NOT NULL
);
CREATE INDEX reopenings_by_candidate ON reopenings (admission_no, education_level, reopened_at);

-- Who did what, when. `detail` is JSON and holds no names or numbers of candidates.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL CHECK (actor IN ('candidate', 'staff', 'system')),
    action     TEXT NOT NULL,
    capture_id TEXT,
    detail     TEXT NOT NULL DEFAULT '{}'
);
