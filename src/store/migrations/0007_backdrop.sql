-- The site's own backdrop as staff calibrated it (nobody in front of the camera): its mean
-- colour in CIELAB and its spread (ΔE). One row: the latest calibration.
CREATE TABLE backdrop (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    l REAL NOT NULL,
    a REAL NOT NULL,
    b REAL NOT NULL,
    spread REAL NOT NULL,
    calibrated_at TEXT NOT NULL
);
