-- The final photo's own compliance report, as the kiosk showed it on the review screen: a
-- JSON array of {"id", "pass", "value", "limit"}. It travels with the capture so that the
-- reviewers see what the kiosk measured.
ALTER TABLE captures ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';
