-- A photo that failed a required check and was accepted by staff (after the staff PIN) with
-- a reason: JSON {"reason", "note"?, "checks"} as it travels in the upload
-- (capture_protocol::StaffOverride); NULL when no override was needed.
ALTER TABLE captures ADD COLUMN staff_override TEXT;
