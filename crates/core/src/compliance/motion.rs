//! Liveness over video: a printed photo or a screen moved in front of the camera moves
//! rigidly — the face as a whole shifts, but its eyes, lids, lips and brows keep exactly
//! the same proportions — while a person's face keeps changing a little. Over a window of
//! frames this compares the face's rigid motion with its change of shape.
//!
//! Deliberately conservative (no real kiosk video was at hand to calibrate it): it speaks
//! only when the face moved clearly (6 % of its width) over two seconds without its shape
//! changing at all (0.4 %); otherwise the still-image cues decide.

use crate::face::{Mesh, landmark};
use std::collections::VecDeque;

const WINDOW: usize = 60;
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

    pub fn push(&mut self, mesh: &Mesh) {
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
        });
        if self.window.len() > WINDOW {
            self.window.pop_front();
        }
    }

    /// True when the window shows a picture being moved; `None` until the window is full.
    pub fn moved_picture(&self) -> Option<bool> {
        if self.window.len() < WINDOW {
            return None;
        }
        let width = self.window.iter().map(|s| s.width).sum::<f32>() / WINDOW as f32;
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for s in &self.window {
            x0 = x0.min(s.centre.0);
            x1 = x1.max(s.centre.0);
            y0 = y0.min(s.centre.1);
            y1 = y1.max(s.centre.1);
        }
        let rigid = (x1 - x0).hypot(y1 - y0) / width;
        let deformation = (0..6)
            .map(|k| {
                let mean = self.window.iter().map(|s| s.shape[k]).sum::<f32>() / WINDOW as f32;
                (self
                    .window
                    .iter()
                    .map(|s| (s.shape[k] - mean).powi(2))
                    .sum::<f32>()
                    / WINDOW as f32)
                    .sqrt()
            })
            .fold(0.0, f32::max);
        Some(rigid >= RIGID_MIN && deformation < DEFORMATION_FLOOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::Roi;

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
            picture.push(&mesh(sway, 0.0, 8.0));
            // A person sways too, and blinks now and then.
            person.push(&mesh(sway, 0.0, if i % 25 < 3 { 1.0 } else { 8.0 }));
        }
        assert_eq!(picture.moved_picture(), Some(true));
        assert_eq!(person.moved_picture(), Some(false));
    }

    #[test]
    fn a_still_picture_is_left_to_the_still_cues() {
        let mut cue = MotionCue::default();
        assert_eq!(cue.moved_picture(), None, "not enough frames yet");
        for _ in 0..WINDOW {
            cue.push(&mesh(0.0, 0.0, 8.0));
        }
        assert_eq!(
            cue.moved_picture(),
            Some(false),
            "no motion: nothing to conclude"
        );
    }
}
