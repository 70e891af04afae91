//! Face detection (MediaPipe's short-range BlazeFace): the whole frame letterboxed to
//! 128×128 in [-1, 1], 896 SSD anchors, boxes and six keypoints decoded, overlapping
//! detections merged by weighted non-maximum suppression — as MediaPipe does.

use crate::crop::{Border, crop};
use crate::net::{Net, NetError};
use capture_core::face::Roi;
use image::RgbImage;

const MODEL: &[u8] = include_bytes!("../../../assets/models/face_detection_short_range.onnx");
const SIZE: usize = 128;
const NUM_ANCHORS: usize = 896;
/// Coordinates are in pixels of the 128×128 input.
const SCALE: f32 = 128.0;
const SCORE_CLIP: f32 = 100.0;
const NMS_IOU: f32 = 0.3;

/// A detected face in image pixels. Keypoints: right eye, left eye, nose tip, mouth
/// centre, right ear tragion, left ear tragion (the subject's right and left).
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub score: f32,
    /// x0, y0, x1, y1
    pub bbox: [f32; 4],
    pub keypoints: [(f32, f32); 6],
}

impl Detection {
    pub fn width(&self) -> f32 {
        self.bbox[2] - self.bbox[0]
    }
    pub fn height(&self) -> f32 {
        self.bbox[3] - self.bbox[1]
    }
    fn iou(&self, other: &Detection) -> f32 {
        let ix = (self.bbox[2].min(other.bbox[2]) - self.bbox[0].max(other.bbox[0])).max(0.0);
        let iy = (self.bbox[3].min(other.bbox[3]) - self.bbox[1].max(other.bbox[1])).max(0.0);
        let inter = ix * iy;
        let union = self.width() * self.height() + other.width() * other.height() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// Anchor centres (normalised), in the order of the model's outputs: the stride-8 layer
/// (16×16 cells, 2 anchors) then the three stride-16 layers merged (8×8 cells, 6 anchors).
fn anchors() -> Vec<(f32, f32)> {
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    for (grid, per_cell) in [(16usize, 2usize), (8, 6)] {
        for y in 0..grid {
            for x in 0..grid {
                let centre = (
                    (x as f32 + 0.5) / grid as f32,
                    (y as f32 + 0.5) / grid as f32,
                );
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    out
}

pub struct FaceDetector {
    net: Net,
    anchors: Vec<(f32, f32)>,
}

impl FaceDetector {
    pub fn load() -> Result<Self, NetError> {
        Ok(Self {
            net: Net::load("face detection", MODEL, [1, SIZE, SIZE, 3])?,
            anchors: anchors(),
        })
    }

    /// Faces with a score of at least `min_score`, best first.
    pub fn detect(&mut self, image: &RgbImage, min_score: f32) -> Result<Vec<Detection>, NetError> {
        let roi = Roi::letterbox(image.width(), image.height());
        let input = crop(image, &roi, SIZE, (-1.0, 1.0), Border::Zero, false);
        let outputs = self.net.run(input)?;
        let (regressors, scores) = (&outputs[0], &outputs[1]);
        let mut found = Vec::new();
        for (i, &(ax, ay)) in self.anchors.iter().enumerate() {
            let score = sigmoid(scores[i].clamp(-SCORE_CLIP, SCORE_CLIP));
            if score < min_score {
                continue;
            }
            let r = &regressors[i * 16..(i + 1) * 16];
            let (xc, yc) = (r[0] / SCALE + ax, r[1] / SCALE + ay);
            let (w, h) = (r[2] / SCALE, r[3] / SCALE);
            if !(w > 0.0 && h > 0.0) {
                continue;
            }
            // From the letterboxed square back to the image; no rotation, so the box stays
            // axis-aligned.
            let (x0, y0) = roi.to_image(xc - w / 2.0, yc - h / 2.0);
            let (x1, y1) = roi.to_image(xc + w / 2.0, yc + h / 2.0);
            let mut keypoints = [(0.0, 0.0); 6];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                *kp = roi.to_image(r[4 + 2 * k] / SCALE + ax, r[5 + 2 * k] / SCALE + ay);
            }
            found.push(Detection {
                score,
                bbox: [x0, y0, x1, y1],
                keypoints,
            });
        }
        Ok(weighted_nms(found))
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// MediaPipe's weighted NMS: the best remaining detection absorbs every detection that
/// overlaps it by IoU > 0.3; its box and keypoints become their score-weighted mean.
fn weighted_nms(mut detections: Vec<Detection>) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !detections.is_empty() {
        let top = detections[0].clone();
        let (group, rest): (Vec<Detection>, Vec<Detection>) = detections
            .into_iter()
            .partition(|d| d.iou(&top) > NMS_IOU || *d == top);
        let total: f32 = group.iter().map(|d| d.score).sum();
        let mut merged = Detection {
            score: top.score,
            bbox: [0.0; 4],
            keypoints: [(0.0, 0.0); 6],
        };
        for d in &group {
            let w = d.score / total;
            for k in 0..4 {
                merged.bbox[k] += d.bbox[k] * w;
            }
            for k in 0..6 {
                merged.keypoints[k].0 += d.keypoints[k].0 * w;
                merged.keypoints[k].1 += d.keypoints[k].1 * w;
            }
        }
        out.push(merged);
        detections = rest;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_896_anchors_on_two_grids() {
        let a = anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        assert_eq!(a[0], (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[1], a[0], "two anchors per stride-8 cell");
        assert_eq!(a[512], (0.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[895], (7.5 / 8.0, 7.5 / 8.0));
    }

    fn det(score: f32, x: f32) -> Detection {
        Detection {
            score,
            bbox: [x, 0.0, x + 10.0, 10.0],
            keypoints: [(x, 0.0); 6],
        }
    }

    #[test]
    fn overlapping_detections_merge_by_score() {
        let merged = weighted_nms(vec![det(0.9, 0.0), det(0.1, 2.0), det(0.8, 100.0)]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].score, 0.9);
        assert!(
            (merged[0].bbox[0] - 0.2).abs() < 1e-5,
            "weighted: 0.9*0 + 0.1*2 = 0.2"
        );
        assert_eq!(merged[1].bbox[0], 100.0);
    }
}
