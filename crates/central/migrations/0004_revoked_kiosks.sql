-- A kiosk whose token was revoked (`capture-central revoke-kiosk`): its requests are
-- answered 401 from then on; what it sent stays.
ALTER TABLE kiosks ADD COLUMN revoked_at TEXT;
