//! The face mesh: 468 landmarks from MediaPipe's face landmark model, run on a square crop
//! turned so the eyes are level. The crop comes from a detection, or — tracking — from the
//! previous frame's landmarks, as MediaPipe does.

use crate::crop::{Border, crop};
use crate::detect::Detection;
use crate::net::{Net, NetError};
use capture_core::face::{Mesh, NUM_LANDMARKS, Roi};
use image::RgbImage;

const MODEL: &[u8] = include_bytes!("../../../assets/models/face_landmark.onnx");
const SIZE: usize = 192;
/// The crop around a face is this much larger than the face's box.
const ROI_SCALE: f32 = 1.5;
/// Outer corners of the eyes: the line that sets a tracked crop's rotation.
const EYE_LINE: (usize, usize) = (33, 263);

/// MediaPipe's angle normalisation into [-π, π).
fn normalize_radians(a: f32) -> f32 {
    use std::f32::consts::PI;
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

/// The rotation that makes the line from `a` to `b` horizontal (clockwise radians).
fn level_rotation(a: (f32, f32), b: (f32, f32)) -> f32 {
    normalize_radians(-(-(b.1 - a.1)).atan2(b.0 - a.0))
}

/// The square crop MediaPipe runs the mesh on for a detected face.
pub fn roi_from_detection(d: &Detection) -> Roi {
    let side = d.width().max(d.height()) * ROI_SCALE;
    Roi {
        cx: (d.bbox[0] + d.bbox[2]) / 2.0,
        cy: (d.bbox[1] + d.bbox[3]) / 2.0,
        width: side,
        height: side,
        rotation: level_rotation(d.keypoints[0], d.keypoints[1]),
    }
}

/// The crop for the next frame, from this frame's landmarks.
pub fn roi_from_mesh(points: &[[f32; 3]]) -> Roi {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    let side = (x1 - x0).max(y1 - y0) * ROI_SCALE;
    let a = (points[EYE_LINE.0][0], points[EYE_LINE.0][1]);
    let b = (points[EYE_LINE.1][0], points[EYE_LINE.1][1]);
    Roi {
        cx: (x0 + x1) / 2.0,
        cy: (y0 + y1) / 2.0,
        width: side,
        height: side,
        rotation: level_rotation(a, b),
    }
}

pub struct FaceMesh {
    net: Net,
}

impl FaceMesh {
    pub fn load() -> Result<Self, NetError> {
        Ok(Self {
            net: Net::load("face landmarks", MODEL, [1, SIZE, SIZE, 3])?,
        })
    }

    pub fn run(&mut self, image: &RgbImage, roi: &Roi) -> Result<Mesh, NetError> {
        let input = crop(image, roi, SIZE, (0.0, 1.0), Border::Replicate, false);
        let outputs = self.net.run(input)?;
        let (raw, flag) = (&outputs[0], outputs[1][0]);
        let points = raw
            .chunks_exact(3)
            .take(NUM_LANDMARKS)
            .map(|p| {
                let (x, y) = roi.to_image(p[0] / SIZE as f32, p[1] / SIZE as f32);
                [x, y, p[2] / SIZE as f32 * roi.width]
            })
            .collect();
        Ok(Mesh {
            points,
            presence: 1.0 / (1.0 + (-flag).exp()),
            roi: *roi,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_eyes_need_no_rotation_and_a_tilt_is_measured_clockwise() {
        assert_eq!(level_rotation((0.0, 0.0), (10.0, 0.0)), 0.0);
        // The second eye lower on screen: the face is turned clockwise.
        let r = level_rotation((0.0, 0.0), (10.0, 10.0));
        assert!((r - std::f32::consts::FRAC_PI_4).abs() < 1e-6, "{r}");
        assert!(
            (normalize_radians(3.0 * std::f32::consts::PI) + std::f32::consts::PI).abs() < 1e-5
        );
    }
}
