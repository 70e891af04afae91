//! What face analysis finds in a frame, as plain values: the face mesh (MediaPipe's 468
//! landmarks), the irises, the person mask, and the regions they came from — all in image
//! pixels. `vision` fills them by running the models; `compliance` and `photo` read them.
//! Nothing here runs a model.

use image::GrayImage;

/// A rectangle centred at (cx, cy), `width` × `height` pixels, turned by `rotation`
/// radians (clockwise on screen, as MediaPipe's rects: y points down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    pub cx: f32,
    pub cy: f32,
    pub width: f32,
    pub height: f32,
    pub rotation: f32,
}

impl Roi {
    /// The whole image, letterboxed into a square (the long side), not rotated.
    pub fn letterbox(image_w: u32, image_h: u32) -> Roi {
        let side = image_w.max(image_h) as f32;
        Roi {
            cx: image_w as f32 / 2.0,
            cy: image_h as f32 / 2.0,
            width: side,
            height: side,
            rotation: 0.0,
        }
    }

    /// Image coordinates of a point given in the ROI's normalised frame ([0,1]², before
    /// any flip: x to the ROI's right, y down).
    pub fn to_image(&self, nx: f32, ny: f32) -> (f32, f32) {
        let (s, c) = self.rotation.sin_cos();
        let lx = (nx - 0.5) * self.width;
        let ly = (ny - 0.5) * self.height;
        (self.cx + lx * c - ly * s, self.cy + lx * s + ly * c)
    }

    /// The ROI's normalised coordinates of an image point (inverse of [`Roi::to_image`]).
    pub fn from_image(&self, x: f32, y: f32) -> (f32, f32) {
        let (s, c) = self.rotation.sin_cos();
        let (dx, dy) = (x - self.cx, y - self.cy);
        (
            0.5 + (dx * c + dy * s) / self.width,
            0.5 + (-dx * s + dy * c) / self.height,
        )
    }
}

/// `v.floor() as i64`, without the call to libm's `floorf` that plain x86-64 makes of it
/// (per-pixel sampling loops spend a good part of their time there otherwise).
#[inline]
pub fn floor_i(v: f32) -> i64 {
    let i = v as i64;
    if (i as f32) > v { i - 1 } else { i }
}

/// Landmarks of the face mesh in image pixels (z in pixels too, negative towards the camera).
#[derive(Debug, Clone, PartialEq)]
pub struct Mesh {
    pub points: Vec<[f32; 3]>,
    /// How sure the model is that this is a face (0..1).
    pub presence: f32,
    /// The crop the landmarks came from.
    pub roi: Roi,
}

impl Mesh {
    pub fn point(&self, i: usize) -> (f32, f32) {
        (self.points[i][0], self.points[i][1])
    }
}

/// The landmarks in a mesh.
pub const NUM_LANDMARKS: usize = 468;

/// Landmark indices of MediaPipe's 468-point face mesh used by the checks and the photo.
pub mod landmark {
    pub const FOREHEAD_TOP: usize = 10;
    pub const CHIN: usize = 152;
    pub const NOSE_TIP: usize = 1;
    /// Outer eye corners: the eye on the image's left, then the one on the right.
    pub const EYE_OUTER: (usize, usize) = (33, 263);
    /// Upper and lower eyelid of each eye.
    pub const LIDS: [(usize, usize); 2] = [(159, 145), (386, 374)];
    /// Inner edges of the upper and lower lip.
    pub const LIPS_INNER: (usize, usize) = (13, 14);
    /// The inner edge of the lips all round, from the left mouth corner over the upper lip:
    /// what shows between them (teeth, the dark mouth) lies inside.
    pub const MOUTH_OPENING: [usize; 20] = [
        78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95,
    ];
    /// Inner and outer edge points of the lips whose midpoints lie on the lips themselves.
    pub const LIP_BODY: [(usize, usize); 8] = [
        (14, 17),
        (87, 84),
        (317, 314),
        (178, 181),
        (402, 405),
        (13, 0),
        (82, 37),
        (312, 267),
    ];
    /// The mouth's corners.
    pub const MOUTH_CORNERS: (usize, usize) = (61, 291);
    /// Cheeks and mid-forehead: where skin colour is sampled.
    pub const SKIN: [usize; 3] = [50, 280, 151];
    /// Left–right pairs: face sides, outer and inner eye corners, mouth corners.
    pub const SYMMETRIC: [(usize, usize); 4] = [(234, 454), (33, 263), (133, 362), (61, 291)];
    /// The face's outline, clockwise from the top of the forehead.
    pub const FACE_OVAL: [usize; 36] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
        152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];
    /// The two eyes' outlines.
    pub const EYES: [[usize; 16]; 2] = [
        [
            33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
        ],
        [
            263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
        ],
    ];
}

/// One eye in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Eye {
    pub iris_centre: (f32, f32),
    /// Half the distance between the iris's left and right edge points.
    pub iris_radius: f32,
    /// The eye's corners (from the mesh), left then right in the image.
    pub corners: [(f32, f32); 2],
    /// Lid to lid over the middle of the eye, per eye width, from the iris model's eye
    /// outline (an open eye reads about 0.25–0.4, a closed one under 0.1).
    pub opening: f32,
}

/// Person probability on a `side`×`side` grid stretched over the whole image.
#[derive(Debug, Clone)]
pub struct Mask {
    pub probabilities: Vec<f32>,
    pub side: usize,
    pub image_width: u32,
    pub image_height: u32,
}

impl Mask {
    /// Person probability at an image point (bilinear).
    pub fn at(&self, x: f32, y: f32) -> f32 {
        let n = self.side;
        let gx = (x / self.image_width as f32 * n as f32 - 0.5).clamp(0.0, n as f32 - 1.0);
        let gy = (y / self.image_height as f32 * n as f32 - 0.5).clamp(0.0, n as f32 - 1.0);
        // Clamped to ≥ 0 above: truncation is the floor.
        let (x0, y0) = (gx as usize, gy as usize);
        let (x1, y1) = ((x0 + 1).min(n - 1), (y0 + 1).min(n - 1));
        let (fx, fy) = (gx - x0 as f32, gy - y0 as f32);
        let p = |x: usize, y: usize| self.probabilities[y * n + x];
        (p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx) * (1.0 - fy)
            + (p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx) * fy
    }

    /// The mask at the image's size, 0..255.
    pub fn to_image(&self) -> GrayImage {
        GrayImage::from_fn(self.image_width, self.image_height, |x, y| {
            image::Luma([(self.at(x as f32 + 0.5, y as f32 + 0.5) * 255.0).round() as u8])
        })
    }
}

/// What one frame shows.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Faces the detector counted (this frame, or its latest run while tracking).
    pub faces: usize,
    /// The main face (the largest), if any.
    pub mesh: Option<Mesh>,
    /// Both eyes of the main face (image's left first), when asked for.
    pub eyes: Option<[Eye; 2]>,
    /// Whether the detector ran for this frame.
    pub detected: bool,
    /// Nothing moved since the last frame the models ran on: its results were reused.
    pub reused: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_image_and_back_agree() {
        let roi = Roi {
            cx: 300.0,
            cy: 200.0,
            width: 120.0,
            height: 80.0,
            rotation: 0.4,
        };
        for (nx, ny) in [(0.0, 0.0), (1.0, 0.25), (0.3, 0.9)] {
            let (x, y) = roi.to_image(nx, ny);
            let (bx, by) = roi.from_image(x, y);
            assert!((bx - nx).abs() < 1e-5 && (by - ny).abs() < 1e-5);
        }
        // Rotated clockwise by 90°, the ROI's right is the image's down.
        let turned = Roi {
            rotation: std::f32::consts::FRAC_PI_2,
            ..roi
        };
        let (x, y) = turned.to_image(1.0, 0.5);
        assert!(
            (x - 300.0).abs() < 1e-3 && (y - 260.0).abs() < 1e-3,
            "{x} {y}"
        );
    }

    #[test]
    fn floor_i_is_the_floor() {
        for v in [-2.5f32, -1.0, -0.2, 0.0, 0.7, 3.0, 12345.9] {
            assert_eq!(floor_i(v), v.floor() as i64, "{v}");
        }
    }

    #[test]
    fn the_mask_is_sampled_between_its_cells() {
        // A 2×2 grid over a 100×100 image: left column person, right column not.
        let mask = Mask {
            probabilities: vec![1.0, 0.0, 1.0, 0.0],
            side: 2,
            image_width: 100,
            image_height: 100,
        };
        assert_eq!(mask.at(10.0, 50.0), 1.0);
        assert_eq!(mask.at(90.0, 50.0), 0.0);
        assert!((mask.at(50.0, 50.0) - 0.5).abs() < 1e-6);
        assert_eq!(mask.to_image().get_pixel(0, 0).0, [255]);
    }
}
