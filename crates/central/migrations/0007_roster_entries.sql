-- Each roster version's rows by admission number and level, so that an upload can be
-- checked against the roster published for its kiosk without reading the whole version.
CREATE TABLE roster_entries (
    version         INTEGER NOT NULL REFERENCES rosters (version),
    admission_no    TEXT NOT NULL,
    education_level TEXT NOT NULL,
    name            TEXT NOT NULL,
    PRIMARY KEY (version, admission_no, education_level)
) WITHOUT ROWID;
INSERT OR IGNORE INTO roster_entries (version, admission_no, education_level, name)
    SELECT r.version,
           json_extract(e.value, '$.admission_no'),
           json_extract(e.value, '$.education_level'),
           json_extract(e.value, '$.name')
    FROM rosters r, json_each(r.entries) e
    WHERE json_valid(r.entries)
      AND json_extract(e.value, '$.admission_no') IS NOT NULL
      AND json_extract(e.value, '$.education_level') IS NOT NULL
      AND json_extract(e.value, '$.name') IS NOT NULL;
