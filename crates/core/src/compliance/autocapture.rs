//! Auto-capture: when every check has passed for a stable period the countdown starts;
//! after it, a burst of frames is taken and the best kept — the sharpest with eyes open.

use std::time::{Duration, Instant};

pub struct AutoCapture {
    stable_for: Duration,
    since: Option<Instant>,
}

impl AutoCapture {
    pub fn new(stable_for: Duration) -> Self {
        Self {
            stable_for,
            since: None,
        }
    }

    pub fn reset(&mut self) {
        self.since = None;
    }

    /// Feeds whether every check passes now; true once they have for the stable period.
    pub fn update(&mut self, all_pass: bool, now: Instant) -> bool {
        if !all_pass {
            self.since = None;
            return false;
        }
        let since = *self.since.get_or_insert(now);
        now.duration_since(since) >= self.stable_for
    }
}

/// One frame of a burst, as measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurstFrame {
    pub sharpness: f32,
    pub eyes_open: bool,
    pub all_pass: bool,
}

/// The frame to keep: passing every check if any does, eyes open if any are, then sharpest.
pub fn best_of_burst(frames: &[BurstFrame]) -> Option<usize> {
    (0..frames.len()).max_by(|&a, &b| {
        let key = |f: &BurstFrame| (f.all_pass, f.eyes_open);
        key(&frames[a])
            .cmp(&key(&frames[b]))
            .then(frames[a].sharpness.total_cmp(&frames[b].sharpness))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_waits_for_the_checks_to_hold() {
        let t0 = Instant::now();
        let mut a = AutoCapture::new(Duration::from_millis(800));
        assert!(!a.update(true, t0));
        assert!(!a.update(true, t0 + Duration::from_millis(500)));
        assert!(
            !a.update(false, t0 + Duration::from_millis(600)),
            "a failing frame starts over"
        );
        assert!(!a.update(true, t0 + Duration::from_millis(700)));
        // 1400 ms since the first frame, but only 700 ms since it started over.
        assert!(!a.update(true, t0 + Duration::from_millis(1400)));
        assert!(a.update(true, t0 + Duration::from_millis(1500)));
    }

    #[test]
    fn the_best_frame_is_sharp_with_eyes_open() {
        let f = |sharpness, eyes_open, all_pass| BurstFrame {
            sharpness,
            eyes_open,
            all_pass,
        };
        assert_eq!(
            best_of_burst(&[
                f(300.0, false, false),
                f(200.0, true, true),
                f(250.0, true, true)
            ]),
            Some(2)
        );
        assert_eq!(
            best_of_burst(&[f(300.0, false, false), f(100.0, true, false)]),
            Some(1)
        );
        assert_eq!(best_of_burst(&[]), None);
    }
}
