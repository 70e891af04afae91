-- Every stored time in one form: UTC, RFC 3339 with milliseconds and "Z"
-- (2026-12-02T07:29:07.123Z), so that times compare and sort as text. Earlier versions kept
-- some in the kiosk's local time with its offset; SQLite's strftime converts those to UTC.
-- A value it cannot read is kept as it is.
UPDATE roster_source SET imported_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', imported_at), imported_at);
UPDATE captures SET
    taken_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', taken_at), taken_at),
    accepted_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', accepted_at), accepted_at),
    reviewed_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', reviewed_at), reviewed_at),
    photo_deleted_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', photo_deleted_at), photo_deleted_at);
UPDATE outbox SET
    enqueued_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', enqueued_at), enqueued_at),
    next_attempt_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at), next_attempt_at),
    uploaded_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', uploaded_at), uploaded_at);
UPDATE reopenings SET reopened_at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', reopened_at), reopened_at);
UPDATE audit SET at = coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', at), at);
