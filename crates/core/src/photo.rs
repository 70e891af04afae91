//! The photo a candidate reviews and the kiosk stores, made from a camera frame for a
//! profile: eyes levelled, cropped and scaled so the head sits where the profile's guides
//! put it, the backdrop replaced by the profile's colour through the person mask (a soft
//! edge, without a halo of the old backdrop), and encoded as a 300 dpi JPEG without
//! metadata whose size lands in the profile's window (by choosing the quality; never by
//! padding). Pure: an image, landmarks and a mask in; an image and bytes out.

use crate::face::{Mask, Mesh, floor_i, landmark};
use crate::profile::{Framing, Profile};
use image::{Rgb, RgbImage};

/// JPEG quality when no size window needs another.
const DEFAULT_QUALITY: u8 = 92;
/// Lowest quality tried to get under the size limit.
const MIN_QUALITY: u8 = 60;
/// Mask probabilities are remapped from this band to 0..1: a narrow, soft edge.
const EDGE_BAND: (f32, f32) = (0.25, 0.75);
/// The crop may run this far (as a fraction of its height) below the image before the
/// missing body shows.
const BOTTOM_SLACK: f32 = 0.02;

pub struct Photo {
    /// The photo as shown on the review screen (not mirrored: as others see the candidate).
    pub image: RgbImage,
    pub jpeg: Vec<u8>,
    /// The JPEG quality chosen.
    pub quality: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("camera frame {0}x{1} is too small for a {2}x{3} photo")]
    FrameTooSmall(u32, u32, u32, u32),
    #[error(
        "the picture ends {0:.0} px above where the photo must end (below the chin): step back"
    )]
    NotEnoughBelow(f32),
    #[error("no JPEG quality puts the photo within {min}–{max} bytes (best: {best} bytes)")]
    SizeWindow { min: u64, max: u64, best: u64 },
    #[error("JPEG encoding failed: {0}")]
    Jpeg(String),
}

/// Cuts the profile's frame from the centre of a camera frame and encodes it (the photo
/// when no face analysis is at hand).
pub fn centre_crop(frame: &RgbImage, profile: &Profile) -> Result<Photo, PhotoError> {
    let (fw, fh) = frame.dimensions();
    let (ow, oh) = (profile.output.width, profile.output.height);
    let framing = Framing::for_camera(profile, fw, fh);
    let (x, y) = (
        (framing.frame_x * fw as f32).round() as u32,
        (framing.frame_y * fh as f32).round() as u32,
    );
    let (w, h) = (
        (framing.frame_w * fw as f32).round() as u32,
        (framing.frame_h * fh as f32).round() as u32,
    );
    if w.min(fw - x) < ow / 2 || h.min(fh - y) < oh / 2 {
        return Err(PhotoError::FrameTooSmall(fw, fh, ow, oh));
    }
    let crop = image::imageops::crop_imm(frame, x, y, w.min(fw - x), h.min(fh - y)).to_image();
    let image = image::imageops::resize(&crop, ow, oh, image::imageops::FilterType::CatmullRom);
    let jpeg = encode_jpeg(&image, profile.output.dpi)?;
    Ok(Photo {
        image,
        jpeg,
        quality: DEFAULT_QUALITY,
    })
}

/// Where the photo comes from in the frame: a rotated rectangle, in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub cx: f32,
    pub cy: f32,
    pub width: f32,
    pub height: f32,
    /// Clockwise radians the frame is turned by to level the eyes.
    pub rotation: f32,
}

impl Placement {
    fn to_frame(self, nx: f32, ny: f32) -> (f32, f32) {
        let (s, c) = self.rotation.sin_cos();
        let (lx, ly) = ((nx - 0.5) * self.width, (ny - 0.5) * self.height);
        (self.cx + lx * c - ly * s, self.cy + lx * s + ly * c)
    }
}

/// Where to cut the photo so that the eyes are level and crown and chin fall on the
/// profile's guide lines, the face centred. `crown` is the top of the head in frame pixels.
pub fn placement(mesh: &Mesh, crown: (f32, f32), profile: &Profile) -> Placement {
    let (a, b) = (
        mesh.point(landmark::EYE_OUTER.0),
        mesh.point(landmark::EYE_OUTER.1),
    );
    let rotation = (b.1 - a.1).atan2(b.0 - a.0);
    let (right, down) = (
        (rotation.cos(), rotation.sin()),
        (-rotation.sin(), rotation.cos()),
    );
    let chin = mesh.point(landmark::CHIN);
    let head = (chin.0 - crown.0) * down.0 + (chin.1 - crown.1) * down.1;
    let g = profile.guides;
    let height = head / (g.chin - g.crown);
    let width = height * profile.aspect();
    // The face's centre line, and the crown on its guide line.
    let (l, r) = (mesh.point(234), mesh.point(454));
    let centre = ((l.0 + r.0) / 2.0, (l.1 + r.1) / 2.0);
    let along = |p: (f32, f32), axis: (f32, f32)| p.0 * axis.0 + p.1 * axis.1;
    let centre_right = along(centre, right);
    let top_down = along(crown, down) - g.crown * height;
    let mid_down = top_down + height / 2.0;
    Placement {
        cx: centre_right * right.0 + mid_down * down.0,
        cy: centre_right * right.1 + mid_down * down.1,
        width,
        height,
        rotation,
    }
}

/// The final photo: placed, the backdrop replaced, encoded into the size window.
pub fn produce(
    frame: &RgbImage,
    mesh: &Mesh,
    crown: (f32, f32),
    mask: &Mask,
    profile: &Profile,
) -> Result<Photo, PhotoError> {
    let p = placement(mesh, crown, profile);
    let (ow, oh) = (profile.output.width, profile.output.height);
    let bottom = p.to_frame(0.5, 1.0).1;
    if bottom > frame.height() as f32 + BOTTOM_SLACK * p.height {
        return Err(PhotoError::NotEnoughBelow(bottom - frame.height() as f32));
    }
    if p.height < oh as f32 / 4.0 {
        return Err(PhotoError::FrameTooSmall(
            frame.width(),
            frame.height(),
            ow,
            oh,
        ));
    }
    let backdrop = old_backdrop(frame, mask);
    let new = profile.output.background.map(|c| c as f32);
    // Straight at the output size; when shrinking by more than 1.4×, 2×2 samples per pixel.
    let taps: &[(f32, f32)] = if p.height / oh as f32 > 1.4 {
        &[(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]
    } else {
        &[(0.5, 0.5)]
    };
    let image = RgbImage::from_fn(ow, oh, |u, v| {
        let mut acc = [0f32; 3];
        for &(du, dv) in taps {
            let (x, y) = p.to_frame((u as f32 + du) / ow as f32, (v as f32 + dv) / oh as f32);
            let c = bilinear(frame, x, y);
            let a = smoothstep(EDGE_BAND.0, EDGE_BAND.1, mask.at(x, y));
            // Take the old backdrop out of edge pixels before blending in the new one.
            for k in 0..3 {
                let fg = if a > 0.05 {
                    ((c[k] - (1.0 - a) * backdrop[k]) / a).clamp(0.0, 255.0)
                } else {
                    c[k]
                };
                acc[k] += fg * a + new[k] * (1.0 - a);
            }
        }
        Rgb(acc.map(|v| (v / taps.len() as f32).round().clamp(0.0, 255.0) as u8))
    });
    let (jpeg, quality) = encode_to_window(&image, profile)?;
    Ok(Photo {
        image,
        jpeg,
        quality,
    })
}

fn smoothstep(lo: f32, hi: f32, x: f32) -> f32 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn bilinear(image: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (floor_i(x), floor_i(y));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let px = |x: i64, y: i64| {
        image
            .get_pixel(x.clamp(0, w - 1) as u32, y.clamp(0, h - 1) as u32)
            .0
            .map(f32::from)
    };
    let (a, b, c, d) = (
        px(x0, y0),
        px(x0 + 1, y0),
        px(x0, y0 + 1),
        px(x0 + 1, y0 + 1),
    );
    [0, 1, 2].map(|k| {
        (a[k] * (1.0 - fx) + b[k] * fx) * (1.0 - fy) + (c[k] * (1.0 - fx) + d[k] * fx) * fy
    })
}

/// The mean colour of what the mask calls backdrop.
fn old_backdrop(frame: &RgbImage, mask: &Mask) -> [f32; 3] {
    let (mut sum, mut n) = ([0f64; 3], 0f64);
    let step = (frame.width() / 160).max(1);
    for y in (0..frame.height()).step_by(step as usize) {
        for x in (0..frame.width()).step_by(step as usize) {
            if mask.at(x as f32 + 0.5, y as f32 + 0.5) < 0.1 {
                let p = frame.get_pixel(x, y).0;
                for k in 0..3 {
                    sum[k] += p[k] as f64;
                }
                n += 1.0;
            }
        }
    }
    if n == 0.0 {
        [128.0; 3]
    } else {
        sum.map(|s| (s / n) as f32)
    }
}

/// The highest quality whose JPEG fits under the profile's maximum size; refused if even
/// the best quality stays under the minimum (the photo is never padded to size).
fn encode_to_window(image: &RgbImage, profile: &Profile) -> Result<(Vec<u8>, u8), PhotoError> {
    let (min, max) = (profile.output.min_bytes, profile.output.max_bytes);
    let dpi = profile.output.dpi;
    let fits = |q: u8| -> Result<Vec<u8>, PhotoError> { encode_jpeg_quality(image, dpi, q) };
    let best = fits(100)?;
    if (best.len() as u64) < min {
        return Err(PhotoError::SizeWindow {
            min,
            max,
            best: best.len() as u64,
        });
    }
    if (best.len() as u64) <= max {
        return Ok((best, 100));
    }
    // Size grows with quality: binary search the highest quality at or under the maximum.
    let (mut lo, mut hi) = (MIN_QUALITY, 100u8);
    let mut found = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let jpeg = fits(mid)?;
        if jpeg.len() as u64 <= max {
            found = Some((jpeg, mid));
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    match found {
        Some((jpeg, q)) if jpeg.len() as u64 >= min => Ok((jpeg, q)),
        Some((jpeg, _)) => Err(PhotoError::SizeWindow {
            min,
            max,
            best: jpeg.len() as u64,
        }),
        None => Err(PhotoError::SizeWindow {
            min,
            max,
            best: fits(MIN_QUALITY)?.len() as u64,
        }),
    }
}

/// Baseline JPEG with a JFIF density and no EXIF.
pub fn encode_jpeg(image: &RgbImage, dpi: u32) -> Result<Vec<u8>, PhotoError> {
    encode_jpeg_quality(image, dpi, DEFAULT_QUALITY)
}

fn encode_jpeg_quality(image: &RgbImage, dpi: u32, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut jpeg = Vec::with_capacity(256 * 1024);
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, quality);
    encoder.set_density(jpeg_encoder::PixelDensity::dpi(
        dpi.min(u32::from(u16::MAX)) as u16,
    ));
    // Full-resolution colour: crisp edges between the backdrop and hair or clothes.
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
    let (w, h) = (image.width() as u16, image.height() as u16);
    encoder
        .encode(image.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| PhotoError::Jpeg(e.to_string()))?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_photo_has_the_profile_size_and_density() {
        let profile = Profile::builtin("bj-degree").unwrap();
        let frame = RgbImage::from_fn(1280, 720, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let photo = centre_crop(&frame, &profile).unwrap();
        assert_eq!(photo.image.dimensions(), (480, 640));
        let decoded = image::load_from_memory(&photo.jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (480, 640));
        // JFIF APP0: "JFIF\0", version, units = 1 (dpi), then 300 x 300.
        let app0 = photo
            .jpeg
            .windows(5)
            .position(|w| w == b"JFIF\0")
            .expect("JFIF header");
        assert_eq!(&photo.jpeg[app0 + 7..app0 + 12], &[1, 1, 44, 1, 44]);
        assert!(!photo.jpeg.windows(4).any(|w| w == b"Exif"), "no EXIF");
    }

    #[test]
    fn the_crop_is_the_centre_of_the_frame() {
        let profile = Profile::builtin("bj-degree").unwrap();
        // Left third red, middle green, right third blue: the photo must be all green.
        let frame = RgbImage::from_fn(1280, 720, |x, _| match x {
            0..=369 => image::Rgb([255, 0, 0]),
            370..=909 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        let photo = centre_crop(&frame, &profile).unwrap();
        for x in [2, 240, 477] {
            let [r, g, b] = photo.image.get_pixel(x, 320).0;
            assert!(g > 240 && r < 15 && b < 15, "column {x}: {r} {g} {b}");
        }
    }

    #[test]
    fn a_tiny_frame_is_refused() {
        let profile = Profile::builtin("bj-degree").unwrap();
        let frame = RgbImage::new(160, 120);
        assert!(matches!(
            centre_crop(&frame, &profile),
            Err(PhotoError::FrameTooSmall(..))
        ));
    }

    #[test]
    fn the_quality_search_lands_in_the_window_and_never_pads() {
        let profile = Profile::builtin("bj-degree").unwrap();
        let mut seed = 7u32;
        let busy = RgbImage::from_fn(480, 640, |_, _| {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            image::Rgb([(seed >> 24) as u8, (seed >> 16) as u8, (seed >> 8) as u8])
        });
        let (jpeg, q) = encode_to_window(&busy, &profile).unwrap();
        assert!(
            (profile.output.min_bytes..=profile.output.max_bytes).contains(&(jpeg.len() as u64)),
            "{} bytes",
            jpeg.len()
        );
        assert!(q >= MIN_QUALITY);
        // A flat image cannot reach 100 KB at any quality: refused, not padded.
        let flat = RgbImage::from_pixel(480, 640, image::Rgb([67, 142, 219]));
        assert!(matches!(
            encode_to_window(&flat, &profile),
            Err(PhotoError::SizeWindow { .. })
        ));
    }
}
