-- When the photo file of an uploaded capture was deleted after the retention period
-- (sync.retention_days). The row stays: it is the record that the capture was made and sent.
ALTER TABLE captures ADD COLUMN photo_deleted_at TEXT;
