//! Iris landmarks: MediaPipe's iris model on a 64×64 crop around each eye, made from the
//! eye's corners in the face mesh (2.3 × their extent, turned level); the second eye is
//! mirrored so both look like the first to the model.

use crate::crop::{Border, crop};
use crate::net::{Net, NetError};
use capture_core::face::{Eye, Mesh, Roi};
use image::RgbImage;

const MODEL: &[u8] = include_bytes!("../../../assets/models/iris_landmark.onnx");
const SIZE: usize = 64;
const ROI_SCALE: f32 = 2.3;
/// Eye corners in the face mesh, left to right in the image: the eye on the image's left
/// (the subject's right) as is, the other mirrored.
const EYES: [((usize, usize), bool); 2] = [((33, 133), false), ((362, 263), true)];

pub struct IrisModel {
    net: Net,
}

impl IrisModel {
    pub fn load() -> Result<Self, NetError> {
        Ok(Self {
            net: Net::load("iris landmarks", MODEL, [1, SIZE, SIZE, 3])?,
        })
    }

    /// Both eyes: the one on the image's left first.
    pub fn run(&mut self, image: &RgbImage, mesh: &Mesh) -> Result<[Eye; 2], NetError> {
        let left = self.eye(image, mesh, EYES[0])?;
        let right = self.eye(image, mesh, EYES[1])?;
        Ok([left, right])
    }

    /// One eye (0: the image's left, 1: its right).
    pub fn run_one(
        &mut self,
        image: &RgbImage,
        mesh: &Mesh,
        which: usize,
    ) -> Result<Eye, NetError> {
        self.eye(image, mesh, EYES[which])
    }

    fn eye(
        &mut self,
        image: &RgbImage,
        mesh: &Mesh,
        ((a, b), mirror): ((usize, usize), bool),
    ) -> Result<Eye, NetError> {
        let (pa, pb) = (mesh.point(a), mesh.point(b));
        let side = ROI_SCALE * (pb.0 - pa.0).abs().max((pb.1 - pa.1).abs());
        let roi = Roi {
            cx: (pa.0 + pb.0) / 2.0,
            cy: (pa.1 + pb.1) / 2.0,
            width: side,
            height: side,
            rotation: (pb.1 - pa.1).atan2(pb.0 - pa.0),
        };
        let input = crop(image, &roi, SIZE, (0.0, 1.0), Border::Replicate, mirror);
        let outputs = self.net.run(input)?;
        let at = |values: &[f32], k: usize| {
            let nx = values[k * 3] / SIZE as f32;
            let ny = values[k * 3 + 1] / SIZE as f32;
            roi.to_image(if mirror { 1.0 - nx } else { nx }, ny)
        };
        let (contour, iris) = (&outputs[0], &outputs[1]);
        let point = |k: usize| at(iris, k);
        let centre = point(0);
        let (e1, e3) = (point(1), point(3));
        let radius = ((e1.0 - e3.0).hypot(e1.1 - e3.1)) / 2.0;
        // The eye's own outline (the model's first 16 contour points: corner 0, lower lid
        // 1–7, corner 8, upper lid 9–15, as MediaPipe maps them onto the face mesh): how far
        // apart the lids are over the middle of the eye, per eye width. The face mesh alone
        // hardly closes its lids; this outline follows them.
        let dist = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).hypot(a.1 - b.1);
        let width = dist(at(contour, 0), at(contour, 8)).max(1.0);
        let opening = [(11, 3), (12, 4), (13, 5)]
            .iter()
            .map(|&(upper, lower)| dist(at(contour, upper), at(contour, lower)))
            .sum::<f32>()
            / 3.0
            / width;
        Ok(Eye {
            iris_centre: centre,
            iris_radius: radius,
            corners: [pa, pb],
            opening,
        })
    }
}
