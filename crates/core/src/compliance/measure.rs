//! Measuring a frame: from the face analysis, the person mask and the pixels, the raw
//! numbers the checks compare with the profile's limits. Pure: values in, numbers out.
//!
//! Sizes and positions are fractions of the *photo frame*: the whole image for a still
//! photo, the profile's frame drawn over the live preview for a camera frame.

use super::color::{Lab, LabStats, delta_e, lab, lightness};
use super::pixels::{grey_patch, pixel};
use crate::face::{Analysis, Mask, Mesh, landmark};
use image::RgbImage;

/// Without a person mask the crown (top of the head) is estimated this far above the
/// top of the forehead, as a fraction of forehead-to-chin (calibrated on the reference
/// portraits with their masks; see tests).
pub const CROWN_ABOVE_FOREHEAD: f32 = 0.20;
/// Head pitch of a frontal face as the forehead→chin depth of the mesh measures it,
/// subtracted so a frontal face reads 0°. Calibrated on the frontal public-domain
/// portraits of the evaluation set (they read 7.6° and 11.9°); the least certain pose
/// measure — a canonical-face fit would do better.
pub const PITCH_ZERO_DEGREES: f32 = 8.5;
/// Pixels at or above this in every channel are specular highlights (glare).
const GLARE_LEVEL: u8 = 245;
/// Pixels at or above this in every channel are blown out (one saturated channel is just a
/// warm highlight); at or below CRUSHED in every channel, black.
const BLOWN: u8 = 250;
const CRUSHED: u8 = 5;
/// Lips closer than this at their middle (inner-lip gap / eye-to-chin) show no teeth that
/// count: what lies between them is their own edge, which the teeth measure would read as
/// a few light samples (real portraits with closed lips: up to 0.0044 below it).
const TEETH_LIPS_APART: f32 = 0.015;
/// The face is resampled to this width to measure sharpness the same at any size.
const SHARPNESS_WIDTH: usize = 128;

/// The photo frame in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Frame {
    pub fn whole(image: &RgbImage) -> Frame {
        Frame {
            x: 0.0,
            y: 0.0,
            width: image.width() as f32,
            height: image.height() as f32,
        }
    }

    /// The profile's frame on a camera image (see `profile::Framing`).
    pub fn of_framing(f: &crate::profile::Framing, image: &RgbImage) -> Frame {
        let (w, h) = (image.width() as f32, image.height() as f32);
        Frame {
            x: f.frame_x * w,
            y: f.frame_y * h,
            width: f.frame_w * w,
            height: f.frame_h * h,
        }
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.width && y < self.y + self.height
    }
}

/// Everything measured on one frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures {
    pub faces: usize,
    pub face: Option<FaceMeasures>,
    /// Measured with a person mask (on demand: stills, the captured frame, now and then live).
    pub mask: Option<MaskMeasures>,
    /// Size of the photo file, when the frame is a file.
    pub file_bytes: Option<u64>,
    /// Live video only: whether the face moved like a picture held up to the camera
    /// (see `motion`); `None` for stills and until enough frames were seen.
    pub moved_picture: Option<bool>,
    /// Live video only: the site's backdrop as staff calibrated it, if they did; the
    /// background checks then compare with it instead of the profile's colour.
    pub backdrop: Option<super::backdrop::Backdrop>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaceMeasures {
    /// Crown to chin, as a fraction of the frame's height.
    pub head_height: f32,
    /// Whether the crown came from the person mask (else estimated from the landmarks).
    pub crown_from_mask: bool,
    /// Top of the head and chin, as fractions of the frame height from its top.
    pub crown_y: f32,
    pub chin_y: f32,
    /// Horizontal offset of the face's centre from the frame's, as a fraction of its
    /// width (positive: right in the image).
    pub centre_offset: f32,
    /// Eye line height from the frame's top, as a fraction of its height.
    pub eye_line: f32,
    /// Cheek to cheek (the face oval's widest landmarks), as a fraction of the frame's width.
    pub face_width: f32,
    /// Head pose in degrees. Roll: positive when the eye on the image's right is lower.
    pub roll: f32,
    pub yaw: f32,
    pub pitch: f32,
    /// The less open eye: lid distance / eye-to-chin distance, from the face mesh.
    pub eyes_open: f32,
    /// The less open eye from the iris model's eye outline: lid to lid per eye width
    /// (`None` without iris landmarks). Follows the lids far better than the mesh.
    pub eye_opening: Option<f32>,
    /// The flatter eye: grey-level spread inside the eye's outline (an open eye shows
    /// white and iris; a closed or covered one does not).
    pub eye_contrast: f32,
    /// How far the irises are from the middle of the eyes (0 = looking straight), or
    /// `None` without iris landmarks.
    pub gaze: Option<f32>,
    /// Inner-lip gap / eye-to-chin distance.
    pub mouth_gap: f32,
    /// Teeth showing between the lips: the area of light, un-red pixels inside the lips'
    /// inner edge, over the mouth's width².
    pub teeth: f32,
    /// Mean L*/100 over the face.
    pub face_luminance: f32,
    /// The face's highlights: L*/100 that 97 % of it stays below. Depends on the exposure
    /// far more than on the skin: a dark face in good light still has bright highlights
    /// (forehead, nose, eye whites); a fair face in dim light has none.
    pub face_highlight: f32,
    /// Fraction of face pixels blown out or crushed black.
    pub clipped: f32,
    /// Darker / brighter half of the face (1 = evenly lit).
    pub lighting_ratio: f32,
    /// Variance of the Laplacian over the face at a fixed size.
    pub sharpness: f32,
    /// Skin colour (cheeks, forehead) in CIELAB.
    pub skin_l: f32,
    pub skin_a: f32,
    pub skin_b: f32,
    /// Fraction of the eye regions (where glasses' lenses are) that is specular white.
    pub glare: f32,
    /// The darker eye's lens area (the eye and the skin around it, where a lens sits):
    /// median L* / the skin's mean L*. Tinted lenses and sunglasses make it small.
    pub lens_ratio: f32,
    /// Strength of periodic texture on the face (a screen's pixel grid, a print's halftone):
    /// the spectrum's highest peak over its median in the high frequencies.
    pub texture_peak: f32,
    /// Straight edges around the face (a phone's or a print's border), 0..1.
    pub border_edges: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaskMeasures {
    /// Slope of the shoulder line in degrees, when both shoulders are in the frame.
    pub shoulders: Option<f32>,
    /// Spread of the backdrop's colour (ΔE), when enough backdrop is visible.
    pub background_spread: Option<f32>,
    /// Mean backdrop colour, when enough backdrop is visible.
    pub background: Option<Lab>,
    /// Mean colour of the clothes below the chin.
    pub clothing: Option<Lab>,
    /// The dress rules' measures (head covering, ears, hair, rims, shoulders).
    pub dress: super::dress::DressMeasures,
}

impl MaskMeasures {
    pub fn background_delta_e(&self, expected: [u8; 3]) -> Option<f32> {
        self.background.map(|b| delta_e(b, lab(expected)))
    }
    pub fn clothing_contrast(&self) -> Option<f32> {
        Some(delta_e(self.clothing?, self.background?))
    }
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// Measures a frame. `mask` adds the mask-based measures and a measured crown; with it the
/// picture is taken as a still (a photo file, or the captured frame), whose background
/// leaves out the canvas a turned photo shows at its edges ([`super::canvas`]).
pub fn measure(
    image: &RgbImage,
    frame: Frame,
    analysis: &Analysis,
    mask: Option<&Mask>,
) -> Measures {
    measure_with(image, frame, analysis, mask, None)
}

/// The texture cues of a face: a print's or a screen's periodic texture
/// ([`FaceMeasures::texture_peak`]) and a picture's border ([`FaceMeasures::border_edges`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextureCues {
    pub peak: f32,
    pub border: f32,
}

impl FaceMeasures {
    pub fn texture(&self) -> TextureCues {
        TextureCues {
            peak: self.texture_peak,
            border: self.border_edges,
        }
    }
}

/// As [`measure`], with the face's texture cues taken as given where `texture` is set
/// (video measures them every other frame: a print or a screen does not change its grain
/// from one frame to the next) and measured otherwise.
pub fn measure_with(
    image: &RgbImage,
    frame: Frame,
    analysis: &Analysis,
    mask: Option<&Mask>,
    texture: Option<TextureCues>,
) -> Measures {
    let face = analysis
        .mesh
        .as_ref()
        .map(|mesh| measure_face(image, frame, mesh, analysis, mask, texture));
    let mask = mask
        .zip(analysis.mesh.as_ref().zip(face.as_ref()))
        .map(|(m, (mesh, f))| measure_mask_of(image, frame, mesh, m, f.skin(), true));
    Measures {
        faces: analysis.faces,
        face,
        mask,
        file_bytes: None,
        moved_picture: None,
        backdrop: None,
    }
}

/// The top of the head: up the face from the top of the forehead until the person mask
/// ends, or — without a mask — estimated from the face's length. Also says which.
pub fn crown(mesh: &Mesh, mask: Option<&Mask>) -> ((f32, f32), bool) {
    let (_, up) = face_axes(mesh);
    let (forehead, chin) = (
        mesh.point(landmark::FOREHEAD_TOP),
        mesh.point(landmark::CHIN),
    );
    let face_len = dist(forehead, chin);
    let from_mask = mask.and_then(|m| {
        let limit = (face_len * 0.8) as usize;
        (1..limit)
            .map(|s| (forehead.0 + up.0 * s as f32, forehead.1 + up.1 * s as f32))
            .find(|&(x, y)| m.at(x, y) < 0.5)
    });
    match from_mask {
        Some(c) => (c, true),
        None => (crown_above(mesh, CROWN_ABOVE_FOREHEAD), false),
    }
}

/// The point `above` face lengths (forehead to chin) above the top of the forehead.
pub fn crown_above(mesh: &Mesh, above: f32) -> (f32, f32) {
    let (_, up) = face_axes(mesh);
    let forehead = mesh.point(landmark::FOREHEAD_TOP);
    let face_len = dist(forehead, mesh.point(landmark::CHIN));
    (
        forehead.0 + up.0 * face_len * above,
        forehead.1 + up.1 * face_len * above,
    )
}

/// How far a crown lies above the top of the forehead, in face lengths: measured once
/// through a mask, it places the crown on later frames without one (hair keeps its shape).
pub fn crown_ratio(mesh: &Mesh, crown: (f32, f32)) -> f32 {
    let forehead = mesh.point(landmark::FOREHEAD_TOP);
    dist(forehead, crown) / dist(forehead, mesh.point(landmark::CHIN)).max(1.0)
}

impl FaceMeasures {
    /// The skin colour on the cheeks and forehead.
    pub fn skin(&self) -> Lab {
        [self.skin_l, self.skin_a, self.skin_b]
    }

    /// Head size and crown line for this crown.
    pub fn set_crown(&mut self, mesh: &Mesh, frame: Frame, crown: (f32, f32), from_mask: bool) {
        let (_, up) = face_axes(mesh);
        let chin = mesh.point(landmark::CHIN);
        let head_height = (crown.0 - chin.0) * up.0 + (crown.1 - chin.1) * up.1;
        self.head_height = head_height / frame.height;
        self.crown_y = (crown.1 - frame.y) / frame.height;
        self.crown_from_mask = from_mask;
    }
}

/// Unit vectors along the eye line (to the image's right) and up the face.
fn face_axes(mesh: &Mesh) -> ((f32, f32), (f32, f32)) {
    let (a, b) = (
        mesh.point(landmark::EYE_OUTER.0),
        mesh.point(landmark::EYE_OUTER.1),
    );
    let len = dist(a, b).max(1e-3);
    let right = ((b.0 - a.0) / len, (b.1 - a.1) / len);
    (right, (right.1, -right.0))
}

fn measure_face(
    image: &RgbImage,
    frame: Frame,
    mesh: &Mesh,
    analysis: &Analysis,
    mask: Option<&Mask>,
    texture: Option<TextureCues>,
) -> FaceMeasures {
    use landmark::*;
    let p = |i: usize| mesh.point(i);
    let (right, _) = face_axes(mesh);
    let (forehead, chin) = (p(FOREHEAD_TOP), p(CHIN));
    let face_len = dist(forehead, chin);

    let eye_mid = {
        let (a, b) = (p(EYE_OUTER.0), p(EYE_OUTER.1));
        ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
    };
    let face_centre_x = (p(234).0 + p(454).0) / 2.0;
    let eye_chin = dist(eye_mid, chin).max(1.0);

    // Pose.
    let roll = right.1.atan2(right.0).to_degrees();
    let yaw = SYMMETRIC
        .iter()
        .map(|&(l, r)| {
            let (pl, pr) = (mesh.points[l], mesh.points[r]);
            (pr[2] - pl[2]).atan2(dist(p(l), p(r))).to_degrees()
        })
        .sum::<f32>()
        / SYMMETRIC.len() as f32;
    let pitch = (mesh.points[CHIN][2] - mesh.points[FOREHEAD_TOP][2])
        .atan2(face_len)
        .to_degrees()
        - PITCH_ZERO_DEGREES;

    let eyes_open = LIDS
        .iter()
        .map(|&(a, b)| dist(p(a), p(b)) / eye_chin)
        .fold(f32::MAX, f32::min);
    let eye_contrast = EYES
        .iter()
        .map(|idx| {
            let outline: Vec<(f32, f32)> = idx.iter().map(|&i| p(i)).collect();
            grey_spread(image, &outline)
        })
        .fold(f32::MAX, f32::min);
    let gaze = analysis.eyes.as_ref().map(|eyes| {
        eyes.iter()
            .map(|eye| {
                let [a, b] = eye.corners;
                let width = dist(a, b).max(1.0);
                let axis = ((b.0 - a.0) / width, (b.1 - a.1) / width);
                let rel = (eye.iris_centre.0 - a.0, eye.iris_centre.1 - a.1);
                let along = (rel.0 * axis.0 + rel.1 * axis.1) / width - 0.5;
                let across = (rel.0 * -axis.1 + rel.1 * axis.0) / width;
                along.abs().max(across.abs())
            })
            .fold(0.0, f32::max)
    });
    let mouth_gap = dist(p(LIPS_INNER.0), p(LIPS_INNER.1)) / eye_chin;

    let oval: Vec<(f32, f32)> = FACE_OVAL.iter().map(|&i| p(i)).collect();
    let tone = face_tone(image, &oval, forehead, chin);
    let skin = skin_colour(image, mesh, dist(p(234), p(454)));
    let eyes_box: Vec<[(f32, f32); 2]> = EYES
        .iter()
        .map(|idx| {
            let pts: Vec<(f32, f32)> = idx.iter().map(|&i| p(i)).collect();
            let [(x0, y0), (x1, y1)] = bounds(&pts);
            let w = x1 - x0;
            // A lens reaches well beyond the eye.
            [(x0 - 0.35 * w, y0 - 0.6 * w), (x1 + 0.35 * w, y1 + 0.5 * w)]
        })
        .collect();

    let face_box = bounds(&oval);
    let mut m = FaceMeasures {
        head_height: 0.0,
        crown_from_mask: false,
        crown_y: 0.0,
        chin_y: (chin.1 - frame.y) / frame.height,
        centre_offset: (face_centre_x - (frame.x + frame.width / 2.0)) / frame.width,
        eye_line: (eye_mid.1 - frame.y) / frame.height,
        face_width: dist(p(234), p(454)) / frame.width,
        roll,
        yaw,
        pitch,
        eyes_open,
        eye_opening: analysis
            .eyes
            .as_ref()
            .map(|eyes| eyes.iter().map(|e| e.opening).fold(f32::MAX, f32::min)),
        eye_contrast,
        gaze,
        mouth_gap,
        teeth: if mouth_gap >= TEETH_LIPS_APART {
            teeth(image, mesh, skin[0])
        } else {
            0.0
        },
        face_luminance: tone.luminance,
        face_highlight: tone.highlight,
        clipped: tone.clipped,
        lighting_ratio: tone.ratio,
        sharpness: sharpness(image, face_box),
        skin_l: skin[0],
        skin_a: skin[1],
        skin_b: skin[2],
        glare: glare(image, &eyes_box),
        lens_ratio: lens_ratio(image, mesh, skin[0]),
        texture_peak: texture.map_or_else(
            || super::texture::periodic_peak(image, face_box),
            |t| t.peak,
        ),
        border_edges: texture.map_or_else(
            || super::texture::border_edges(image, face_box),
            |t| t.border,
        ),
    };
    let (crown, from_mask) = crown(mesh, mask);
    m.set_crown(mesh, frame, crown, from_mask);
    m
}

/// The smallest box holding `points`: its top-left and bottom-right corners.
pub fn bounds(points: &[(f32, f32)]) -> [(f32, f32); 2] {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for q in points {
        x0 = x0.min(q.0);
        y0 = y0.min(q.1);
        x1 = x1.max(q.0);
        y1 = y1.max(q.1);
    }
    [(x0, y0), (x1, y1)]
}

/// Even-odd point-in-polygon, a row at a time: where a row `y` crosses the polygon's edges;
/// a point of the row is inside when an odd number of them lie to its right
/// ([`Crossings::inside`]). Worked out once per row, it spares testing every edge for every
/// sample of the row.
struct Crossings(Vec<f32>);

impl Crossings {
    fn row(poly: &[(f32, f32)], y: f32) -> Crossings {
        let mut at = Vec::new();
        let mut j = poly.len() - 1;
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[j]);
            if (a.1 > y) != (b.1 > y) {
                at.push((b.0 - a.0) * (y - a.1) / (b.1 - a.1) + a.0);
            }
            j = i;
        }
        Crossings(at)
    }

    fn inside(&self, x: f32) -> bool {
        self.0.iter().filter(|&&c| x < c).count() % 2 == 1
    }
}

struct Tone {
    luminance: f32,
    /// L*/100 that 97 % of the face's samples stay below: its highlights.
    highlight: f32,
    clipped: f32,
    ratio: f32,
}

/// Brightness over the face, clipping, and the two halves either side of the
/// forehead–chin line.
fn face_tone(
    image: &RgbImage,
    oval: &[(f32, f32)],
    forehead: (f32, f32),
    chin: (f32, f32),
) -> Tone {
    let [(x0, y0), (x1, y1)] = bounds(oval);
    let step = (((x1 - x0) / 80.0).floor() as i64).max(1);
    let (mut n, mut sum, mut clipped) = (0f64, 0f64, 0f64);
    let mut halves = [(0f64, 0f64); 2];
    let mut histogram = [0u32; 101];
    let mut y = y0.floor() as i64;
    while y <= y1.ceil() as i64 {
        let row = Crossings::row(oval, y as f32 + 0.5);
        let mut x = x0.floor() as i64;
        while x <= x1.ceil() as i64 {
            if row.inside(x as f32 + 0.5)
                && let Some(px) = pixel(image, x, y)
            {
                let l = lightness(px) as f64 / 100.0;
                n += 1.0;
                sum += l;
                histogram[(l * 100.0).round().clamp(0.0, 100.0) as usize] += 1;
                if px.iter().all(|&c| c >= BLOWN) || px.iter().all(|&c| c <= CRUSHED) {
                    clipped += 1.0;
                }
                // Which side of the midline (forehead→chin)?
                let side = (chin.0 - forehead.0) * (y as f32 - forehead.1)
                    - (chin.1 - forehead.1) * (x as f32 - forehead.0);
                let h = &mut halves[usize::from(side > 0.0)];
                h.0 += l;
                h.1 += 1.0;
            }
            x += step;
        }
        y += step;
    }
    let mean = |(s, c): (f64, f64)| if c > 0.0 { s / c } else { 0.0 };
    let (a, b) = (mean(halves[0]), mean(halves[1]));
    let mut seen = 0u32;
    let highlight = histogram
        .iter()
        .position(|&c| {
            seen += c;
            f64::from(seen) >= 0.97 * n
        })
        .unwrap_or(0) as f32
        / 100.0;
    Tone {
        luminance: if n > 0.0 { (sum / n) as f32 } else { 0.0 },
        highlight: if n > 0.0 { highlight } else { 0.0 },
        clipped: if n > 0.0 { (clipped / n) as f32 } else { 1.0 },
        ratio: if a.max(b) > 0.0 {
            (a.min(b) / a.max(b)) as f32
        } else {
            0.0
        },
    }
}

/// Standard deviation of the grey level inside a polygon.
fn grey_spread(image: &RgbImage, poly: &[(f32, f32)]) -> f32 {
    let [(x0, y0), (x1, y1)] = bounds(poly);
    let (mut n, mut sum, mut sum_sq) = (0f64, 0f64, 0f64);
    for y in y0.floor() as i64..=y1.ceil() as i64 {
        let row = Crossings::row(poly, y as f32 + 0.5);
        for x in x0.floor() as i64..=x1.ceil() as i64 {
            if row.inside(x as f32 + 0.5)
                && let Some(px) = pixel(image, x, y)
            {
                let g = 0.299 * px[0] as f64 + 0.587 * px[1] as f64 + 0.114 * px[2] as f64;
                n += 1.0;
                sum += g;
                sum_sq += g * g;
            }
        }
    }
    if n < 4.0 {
        0.0
    } else {
        (sum_sq / n - (sum / n).powi(2)).max(0.0).sqrt() as f32
    }
}

/// Mean Lab of small patches on the cheeks and the forehead.
fn skin_colour(image: &RgbImage, mesh: &Mesh, face_width: f32) -> Lab {
    let r = (face_width * 0.06).max(2.0) as i64;
    let mut stats = LabStats::default();
    for &i in &landmark::SKIN {
        let (cx, cy) = mesh.point(i);
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy <= r * r
                    && let Some(px) = pixel(image, cx as i64 + dx, cy as i64 + dy)
                {
                    stats.add(lab(px));
                }
            }
        }
    }
    stats.mean().unwrap_or([0.0; 3])
}

/// Teeth between the lips. Inside the lips' inner edge, the share of samples that are light
/// (L* above 0.6 × the skin's) and not red (a* under half the lips' own): teeth are; lips,
/// tongue and the dark inside of the mouth are not. Returned as an area over the mouth's
/// width². Measured only with the lips [`TEETH_LIPS_APART`] apart. On the real portraits:
/// teeth showing read 0.0063–0.066, parted lips without teeth at most 0.0025
/// (docs/COMPLIANCE.md).
fn teeth(image: &RgbImage, mesh: &Mesh, skin_l: f32) -> f32 {
    let mut lip_a: Vec<f32> = landmark::LIP_BODY
        .iter()
        .filter_map(|&(inner, outer)| {
            let (a, b) = (mesh.point(inner), mesh.point(outer));
            pixel(
                image,
                ((a.0 + b.0) / 2.0) as i64,
                ((a.1 + b.1) / 2.0) as i64,
            )
        })
        .map(|px| lab(px)[1])
        .collect();
    if lip_a.is_empty() {
        return 0.0;
    }
    lip_a.sort_by(f32::total_cmp);
    let lip_a = lip_a[lip_a.len() / 2];
    let opening: Vec<(f32, f32)> = landmark::MOUTH_OPENING
        .iter()
        .map(|&i| mesh.point(i))
        .collect();
    let width = dist(
        mesh.point(landmark::MOUTH_CORNERS.0),
        mesh.point(landmark::MOUTH_CORNERS.1),
    )
    .max(1.0);
    // About 40 samples across the mouth, whatever its size in the frame.
    let step = (width / 40.0).max(1.0);
    let [(x0, y0), (x1, y1)] = bounds(&opening);
    let mut teeth = 0u32;
    let mut y = y0.floor();
    while y <= y1.ceil() {
        let row = Crossings::row(&opening, y);
        let mut x = x0.floor();
        while x <= x1.ceil() {
            if row.inside(x)
                && let Some(px) = pixel(image, x as i64, y as i64)
            {
                let [l, a, _] = lab(px);
                if l > 0.6 * skin_l && a < 0.5 * lip_a {
                    teeth += 1;
                }
            }
            x += step;
        }
        y += step;
    }
    teeth as f32 * step * step / (width * width)
}

/// Where a lens sits: each eye's outline widened by 15 % of its width to the sides, 25 %
/// up (short of the brow) and 35 % down; the darker eye's median L* over the skin's L*.
fn lens_ratio(image: &RgbImage, mesh: &Mesh, skin_l: f32) -> f32 {
    landmark::EYES
        .iter()
        .map(|idx| {
            let pts: Vec<(f32, f32)> = idx.iter().map(|&i| mesh.point(i)).collect();
            let [(x0, y0), (x1, y1)] = bounds(&pts);
            let w = (x1 - x0).max(1.0);
            let mut histogram = [0u32; 101];
            let mut n = 0u32;
            // About 24 × 20 samples, whatever the eye's size in the frame.
            let step = ((1.3 * w / 24.0) as usize).max(1);
            for y in ((y0 - 0.25 * w) as i64..=(y1 + 0.35 * w) as i64).step_by(step) {
                for x in ((x0 - 0.15 * w) as i64..=(x1 + 0.15 * w) as i64).step_by(step) {
                    if let Some(px) = pixel(image, x, y) {
                        histogram[lightness(px).clamp(0.0, 100.0) as usize] += 1;
                        n += 1;
                    }
                }
            }
            let mut seen = 0;
            let median = histogram
                .iter()
                .position(|&c| {
                    seen += c;
                    seen * 2 >= n
                })
                .unwrap_or(0) as f32;
            median / skin_l.max(1.0)
        })
        .fold(f32::MAX, f32::min)
}

/// Variance of the Laplacian over the face, resampled to a fixed width.
fn sharpness(image: &RgbImage, face: [(f32, f32); 2]) -> f32 {
    let (g, w, h) = grey_patch(image, face, SHARPNESS_WIDTH);
    let (mut n, mut sum, mut sum_sq) = (0f64, 0f64, 0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let lap = (g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4.0 * g[i]) as f64;
            n += 1.0;
            sum += lap;
            sum_sq += lap * lap;
        }
    }
    if n == 0.0 {
        0.0
    } else {
        (sum_sq / n - (sum / n).powi(2)) as f32
    }
}

/// Fraction of the lens regions that is specular white.
fn glare(image: &RgbImage, regions: &[[(f32, f32); 2]]) -> f32 {
    let (mut n, mut hot) = (0f64, 0f64);
    for &[(x0, y0), (x1, y1)] in regions {
        for y in y0.floor() as i64..=y1.ceil() as i64 {
            for x in x0.floor() as i64..=x1.ceil() as i64 {
                if let Some(px) = pixel(image, x, y) {
                    n += 1.0;
                    if px.iter().all(|&c| c >= GLARE_LEVEL) {
                        hot += 1.0;
                    }
                }
            }
        }
    }
    if n == 0.0 { 0.0 } else { (hot / n) as f32 }
}

/// The measures that need the person mask, for a camera frame. `skin`: the face's skin
/// colour ([`FaceMeasures::skin`]), which the dress measures class their samples against.
pub fn measure_mask(
    image: &RgbImage,
    frame: Frame,
    mesh: &Mesh,
    mask: &Mask,
    skin: Lab,
) -> MaskMeasures {
    measure_mask_of(image, frame, mesh, mask, skin, false)
}

/// As [`measure_mask`]; `file`: the picture is a still (a photo file, or the captured frame),
/// whose background measures leave out the canvas a turned photo shows at its edges
/// ([`super::canvas`]; a live camera frame has none, so it is not looked for there).
fn measure_mask_of(
    image: &RgbImage,
    frame: Frame,
    mesh: &Mesh,
    mask: &Mask,
    skin: Lab,
    file: bool,
) -> MaskMeasures {
    let chin = mesh.point(landmark::CHIN);
    let (left, right) = (mesh.point(234), mesh.point(454));
    let face_w = dist(left, right);
    let face_cx = (left.0 + right.0) / 2.0;
    let step = ((frame.width / 160.0).floor() as i64).max(1);
    let (mut bg, mut clothes) = (LabStats::default(), LabStats::default());
    let (fx0, fy0) = (frame.x as i64, frame.y as i64);
    let (fx1, fy1) = (
        (frame.x + frame.width) as i64,
        (frame.y + frame.height) as i64,
    );
    let canvas = if file {
        super::canvas::Canvas::find(image, [fx0, fy0, fx1, fy1], step)
    } else {
        super::canvas::Canvas::default()
    };
    let cols = ((fx1 - fx0).max(0) + step - 1) / step;
    let mut y = fy0;
    while y < fy1 {
        let mut x = fx0;
        while x < fx1 {
            if let Some(px) = pixel(image, x, y) {
                let m = mask.at(x as f32 + 0.5, y as f32 + 0.5);
                let (col, row) = ((x - fx0) / step, (y - fy0) / step);
                if m < 0.1 {
                    if !canvas.covers(row as usize, col as usize, cols as usize) {
                        bg.add(lab(px));
                    }
                } else if m > 0.9
                    && (y as f32) > chin.1 + face_w * 0.25
                    && ((x as f32) - face_cx).abs() < face_w * 1.2
                {
                    clothes.add(lab(px));
                }
            }
            x += step;
        }
        y += step;
    }
    // Enough of each to say anything: a few percent of the frame.
    let frame_samples = ((frame.width / step as f32) * (frame.height / step as f32)) as usize;
    let enough = |s: &LabStats| s.count() * 50 >= frame_samples;
    MaskMeasures {
        dress: super::dress::measure_dress(image, frame, mesh, mask, skin),
        shoulders: shoulder_slope(frame, mask, chin, face_cx, face_w),
        background_spread: enough(&bg).then(|| bg.spread()).flatten(),
        background: enough(&bg).then(|| bg.mean()).flatten(),
        clothing: enough(&clothes).then(|| clothes.mean()).flatten(),
    }
}

/// The slope between the tops of the two shoulders, found in the mask either side of the
/// neck; `None` when they are not both in the frame.
fn shoulder_slope(
    frame: Frame,
    mask: &Mask,
    chin: (f32, f32),
    face_cx: f32,
    face_w: f32,
) -> Option<f32> {
    let top_at = |x: f32| -> Option<f32> {
        if !frame.contains(x, chin.1) {
            return None;
        }
        let mut y = chin.1 - face_w * 0.3;
        let bottom = frame.y + frame.height - 1.0;
        while y < bottom {
            // Confidently the person: clutter behind a shoulder can read half-person.
            if mask.at(x, y) > 0.75 {
                // The top of the shoulder must be below the chin, not the head itself.
                return (y > chin.1 - face_w * 0.2 && y < bottom - 2.0).then_some(y);
            }
            y += 1.0;
        }
        None
    };
    let band = |sign: f32| -> Option<(f32, f32)> {
        // Beyond the ears (about 0.6 face widths out) and as far as a tight photo reaches;
        // where hair falls onto a shoulder there is no top to see, so some may be missing.
        let tops: Vec<(f32, f32)> = (0..8)
            .map(|k| face_cx + sign * face_w * (0.7 + 0.075 * k as f32))
            .filter_map(|x| Some((x, top_at(x)?)))
            .collect();
        let n = tops.len() as f32;
        (tops.len() >= 3).then(|| {
            (
                tops.iter().map(|t| t.0).sum::<f32>() / n,
                tops.iter().map(|t| t.1).sum::<f32>() / n,
            )
        })
    };
    let (l, r) = (band(-1.0)?, band(1.0)?);
    Some((r.1 - l.1).atan2(r.0 - l.0).to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_in_polygon() {
        let square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        assert!(Crossings::row(&square, 5.0).inside(5.0));
        assert!(!Crossings::row(&square, 5.0).inside(15.0));
        assert!(!Crossings::row(&square, 12.0).inside(5.0));
        // A concave outline (a "C"), against the even-odd rule tested edge by edge.
        let c = [
            (0.0, 0.0),
            (30.0, 0.0),
            (30.0, 8.0),
            (9.5, 8.0),
            (9.5, 22.3),
            (30.0, 22.3),
            (30.0, 30.0),
            (0.0, 30.0),
        ];
        let inside = |x: f32, y: f32| {
            let mut inside = false;
            let mut j = c.len() - 1;
            for i in 0..c.len() {
                let (a, b) = (c[i], c[j]);
                if (a.1 > y) != (b.1 > y) && x < (b.0 - a.0) * (y - a.1) / (b.1 - a.1) + a.0 {
                    inside = !inside;
                }
                j = i;
            }
            inside
        };
        for y in 0..32 {
            let row = Crossings::row(&c, y as f32 + 0.5);
            for x in 0..32 {
                assert_eq!(
                    row.inside(x as f32 + 0.5),
                    inside(x as f32 + 0.5, y as f32 + 0.5),
                    "({x}, {y})"
                );
            }
        }
        assert!(Crossings::row(&c, 15.5).inside(5.5) && !Crossings::row(&c, 15.5).inside(20.5));
    }

    #[test]
    fn sharpness_falls_with_blur() {
        let sharp = RgbImage::from_fn(200, 200, |x, y| {
            if (x / 4 + y / 4) % 2 == 0 {
                image::Rgb([255; 3])
            } else {
                image::Rgb([0; 3])
            }
        });
        let blurred = image::imageops::blur(&sharp, 3.0);
        let region = [(0.0, 0.0), (200.0, 200.0)];
        assert!(sharpness(&sharp, region) > 10.0 * sharpness(&blurred, region));
    }

    #[test]
    fn glare_counts_white_pixels() {
        let mut img = RgbImage::from_pixel(10, 10, image::Rgb([120, 100, 90]));
        img.put_pixel(2, 2, image::Rgb([255, 255, 255]));
        let g = glare(&img, &[[(0.0, 0.0), (9.0, 9.0)]]);
        assert!((g - 0.01).abs() < 1e-6, "{g}");
    }
}
