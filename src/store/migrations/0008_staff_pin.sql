-- The staff PIN as an argon2id hash (`capture-kiosk staff set-pin`); without a row, the
-- config's [staff] pin (the demo site's) opens the staff screens.
CREATE TABLE staff_pin (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    hash   TEXT NOT NULL,
    set_at TEXT NOT NULL
);
-- Wrong PINs and the lock-out, kept across restarts (a restart must not reset the count).
CREATE TABLE pin_lockout (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    failures     INTEGER NOT NULL,
    lockouts     INTEGER NOT NULL,
    locked_until TEXT                -- RFC 3339 UTC, while a lock-out lasts
);
