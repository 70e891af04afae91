-- Staff at the kiosk accepted a photo that fails a required check: JSON
-- {"reason", "note"?, "checks"} as the upload carries it; NULL when none was needed.
ALTER TABLE captures ADD COLUMN staff_override TEXT;
