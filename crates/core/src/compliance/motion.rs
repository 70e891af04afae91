//! Liveness over video: a printed photo or a screen moved in front of the camera moves
//! rigidly — the face as a whole shifts, but its eyes, lids, lips and brows keep exactly
//! the same proportions — while a person's face keeps changing a little. Over a window of
//! frames this compares the face's rigid motion with its change of shape.
//!
//! Deliberately conservative (no real kiosk video was at hand to calibrate it): it speaks
//! only when the face moved clearly (6 % of its width) over two seconds without its shape
//! changing at all (0.4 %); otherwise the still-image cues decide.
//!
//! It also looks for a sign of life: a blink (the eyes' contrast or lids drop well below
//! their usual level for a moment) or a change of expression (lips or brows move by more
//! than 1.2 % of the face's width). A picture held perfectly still shows neither — only
//! sensor noise — and [`require_life`] keeps it from being taken.

use super::{CheckId, CheckResult};
use crate::face::{Mesh, landmark};
use crate::lang::Localized;
use crate::profile::Limits;
use std::collections::VecDeque;

/// Frames the rigid-motion cue looks at (about two seconds).
const WINDOW: usize = 60;
/// Frames a sign of life counts for (about five seconds at 30 analysed frames a second).
const LIFE_WINDOW: usize = 150;
/// Frames seen before the absence of a sign of life is held against a face.
const LIFE_MIN: usize = 30;
/// The face moved at least this far (fraction of its width) within the window …
const RIGID_MIN: f32 = 0.06;
/// … while no proportion of it varied by more than this (standard deviation, fraction of
/// the face width): then it is a picture, not a face.
const DEFORMATION_FLOOR: f32 = 0.004;

#[derive(Debug, Clone, Copy)]
struct Sample {
    centre: (f32, f32),
    width: f32,
    /// Lid openings, lip gap, mouth width, brow heights: each / face width.
    shape: [f32; 6],
    /// The flatter eye's grey-level spread (falls when the lids close).
    eye_contrast: f32,
}

#[derive(Debug, Default)]
pub struct MotionCue {
    window: VecDeque<Sample>,
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

impl MotionCue {
    pub fn reset(&mut self) {
        self.window.clear();
    }

    /// One analysed frame's face: its mesh and the flatter eye's contrast.
    pub fn push(&mut self, mesh: &Mesh, eye_contrast: f32) {
        let p = |i: usize| mesh.point(i);
        let width = dist(p(234), p(454)).max(1.0);
        let [(l1, l2), (r1, r2)] = landmark::LIDS;
        let shape = [
            dist(p(l1), p(l2)) / width,
            dist(p(r1), p(r2)) / width,
            dist(p(landmark::LIPS_INNER.0), p(landmark::LIPS_INNER.1)) / width,
            dist(p(61), p(291)) / width,
            dist(p(105), p(159)) / width,
            dist(p(334), p(386)) / width,
        ];
        let (a, b) = (p(landmark::EYE_OUTER.0), p(landmark::EYE_OUTER.1));
        self.window.push_back(Sample {
            centre: ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0),
            width,
            shape,
            eye_contrast,
        });
        if self.window.len() > LIFE_WINDOW {
            self.window.pop_front();
        }
    }

    /// Whether the face showed a sign of life (a blink, a change of expression) within the
    /// last few seconds, by the profile's `blink_drop` and `expression`; `None` until
    /// enough frames were seen.
    pub fn alive(&self, limits: &Limits) -> Option<bool> {
        if self.window.len() < LIFE_MIN {
            return None;
        }
        let median = |f: &dyn Fn(&Sample) -> f32| {
            let mut v: Vec<f32> = self.window.iter().map(f).collect();
            v.sort_by(f32::total_cmp);
            v[v.len() / 2]
        };
        let dips = |f: &dyn Fn(&Sample) -> f32| {
            let m = median(f);
            m > 0.0 && self.window.iter().any(|s| f(s) < limits.blink_drop * m)
        };
        let blink = dips(&|s| s.eye_contrast) || dips(&|s| s.shape[0].min(s.shape[1]));
        let n = self.window.len() as f32;
        let expression = (2..6).any(|k| {
            let mean = self.window.iter().map(|s| s.shape[k]).sum::<f32>() / n;
            let var = self
                .window
                .iter()
                .map(|s| (s.shape[k] - mean).powi(2))
                .sum::<f32>()
                / n;
            var.sqrt() > limits.expression
        });
        Some(blink || expression)
    }

    /// True when the window shows a picture being moved; `None` until the window is full.
    pub fn moved_picture(&self) -> Option<bool> {
        if self.window.len() < WINDOW {
            return None;
        }
        let recent = || self.window.iter().skip(self.window.len() - WINDOW);
        let width = recent().map(|s| s.width).sum::<f32>() / WINDOW as f32;
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for s in recent() {
            x0 = x0.min(s.centre.0);
            x1 = x1.max(s.centre.0);
            y0 = y0.min(s.centre.1);
            y1 = y1.max(s.centre.1);
        }
        let rigid = (x1 - x0).hypot(y1 - y0) / width;
        let deformation = (0..6)
            .map(|k| {
                let mean = recent().map(|s| s.shape[k]).sum::<f32>() / WINDOW as f32;
                (recent().map(|s| (s.shape[k] - mean).powi(2)).sum::<f32>() / WINDOW as f32).sqrt()
            })
            .fold(0.0, f32::max);
        Some(rigid >= RIGID_MIN && deformation < DEFORMATION_FLOOR)
    }
}

/// A face on video that showed no sign of life lately is not taken: once nothing else
/// stops the photo, `liveness` fails and asks for a blink. (Asked only then, so it never
/// comes before the instructions that place the candidate.)
pub fn require_life(results: &mut [CheckResult], alive: Option<bool>) {
    if alive != Some(false) {
        return;
    }
    let others_pass = results
        .iter()
        .all(|r| r.id == CheckId::Liveness || !r.blocks());
    if let Some(r) = results.iter_mut().find(|r| r.id == CheckId::Liveness)
        && others_pass
        && r.pass
    {
        r.pass = false;
        r.value = Some(2.0);
        r.message = Localized::fixed("请眨一下眼睛", "Please blink once");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::Roi;

    fn limits() -> Limits {
        crate::profile::Profile::builtin("bj-degree")
            .unwrap()
            .limits
    }

    /// A synthetic mesh: every point of a face shape shifted by (dx, dy), the eyes' lids
    /// opened by `open`.
    fn mesh(dx: f32, dy: f32, open: f32) -> Mesh {
        let mut points: Vec<[f32; 3]> = (0..468)
            .map(|i| {
                [
                    200.0 + (i % 20) as f32 * 10.0 + dx,
                    200.0 + (i / 20) as f32 * 10.0 + dy,
                    0.0,
                ]
            })
            .collect();
        for (a, b) in landmark::LIDS {
            points[b] = [points[a][0], points[a][1] + open, 0.0];
        }
        Mesh {
            points,
            presence: 1.0,
            roi: Roi {
                cx: 0.0,
                cy: 0.0,
                width: 1.0,
                height: 1.0,
                rotation: 0.0,
            },
        }
    }

    #[test]
    fn a_rigidly_moved_picture_is_told_from_a_living_face() {
        let mut picture = MotionCue::default();
        let mut person = MotionCue::default();
        for i in 0..WINDOW {
            let sway = (i as f32 / 10.0).sin() * 12.0;
            picture.push(&mesh(sway, 0.0, 8.0), 40.0);
            // A person sways too, and blinks now and then.
            person.push(&mesh(sway, 0.0, if i % 25 < 3 { 1.0 } else { 8.0 }), 40.0);
        }
        assert_eq!(picture.moved_picture(), Some(true));
        assert_eq!(person.moved_picture(), Some(false));
    }

    #[test]
    fn a_still_picture_is_left_to_the_still_cues() {
        let mut cue = MotionCue::default();
        assert_eq!(cue.moved_picture(), None, "not enough frames yet");
        for _ in 0..WINDOW {
            cue.push(&mesh(0.0, 0.0, 8.0), 40.0);
        }
        assert_eq!(
            cue.moved_picture(),
            Some(false),
            "no motion: nothing to conclude"
        );
    }

    #[test]
    fn a_picture_held_still_shows_no_life_and_a_blink_does() {
        let mut print = MotionCue::default();
        let mut person = MotionCue::default();
        assert_eq!(print.alive(&limits()), None, "not enough frames yet");
        for i in 0..LIFE_WINDOW {
            // Sensor noise only: a fraction of a pixel, a grey level or two.
            let noise = ((i * 7919) % 13) as f32 / 13.0 - 0.5;
            print.push(&mesh(0.3 * noise, 0.0, 8.0 + 0.05 * noise), 40.0 + noise);
            // A person standing still, who blinks once (the lids meet, the eye goes flat).
            let blink = (80..84).contains(&i);
            person.push(
                &mesh(0.3 * noise, 0.0, if blink { 1.0 } else { 8.0 }),
                if blink { 8.0 } else { 40.0 + noise },
            );
        }
        assert_eq!(print.alive(&limits()), Some(false));
        assert_eq!(person.alive(&limits()), Some(true));
        // The blink counts for a while, then no longer.
        for _ in 0..LIFE_WINDOW {
            person.push(&mesh(0.0, 0.0, 8.0), 40.0);
        }
        assert_eq!(person.alive(&limits()), Some(false));
    }

    #[test]
    fn no_life_fails_liveness_only_when_nothing_else_stops_the_photo() {
        use crate::compliance::{Context, evaluate, measure::Measures};
        use crate::profile::Profile;
        let profile = Profile::builtin("bj-degree").unwrap();
        // No face: other checks block, so liveness is left as it is.
        let mut results = evaluate(&Measures::default(), &profile, Context::Live);
        let before = results.clone();
        require_life(&mut results, Some(false));
        assert_eq!(results, before);
        // Everything passes: then no life fails liveness, asking for a blink.
        let mut passing = before.clone();
        for r in &mut passing {
            r.pass = true;
        }
        let mut alive = passing.clone();
        require_life(&mut alive, Some(true));
        assert_eq!(alive, passing, "a sign of life changes nothing");
        require_life(&mut passing, Some(false));
        let l = passing.iter().find(|r| r.id == CheckId::Liveness).unwrap();
        assert!(!l.pass && l.blocks());
        assert_eq!(l.message.en, "Please blink once");
        assert!(!crate::compliance::acceptable(&passing));
    }
}
