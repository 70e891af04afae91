-- Where the kiosk stands with the central service: the roster version it holds
-- ('roster_version') and the last review decision it applied ('decisions_cursor').
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
