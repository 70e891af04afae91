-- The audit log as a hash chain: each entry the hash of the one before it and its own
-- (src/store/audit.rs; `capture-kiosk audit verify`). Entries written before this are
-- chained when the store next opens.
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN hash TEXT;
