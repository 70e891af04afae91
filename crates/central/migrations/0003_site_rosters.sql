-- A roster version for one kiosk (its site's candidates); NULL: for every kiosk.
ALTER TABLE rosters ADD COLUMN kiosk TEXT REFERENCES kiosks (name);
