-- The mobile number the candidate gave at the kiosk (with consent), for the office to reach
-- them about the photo. NULL for captures from kiosks that did not send it.
ALTER TABLE captures ADD COLUMN mobile TEXT;
