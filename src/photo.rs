//! The photo a candidate reviews and the kiosk stores, made from a camera frame for a
//! profile. For now this is the profile's frame cut from the centre of the camera frame
//! (where the on-screen guides ask the candidate to stand), scaled to the profile's size
//! and encoded as a 300 dpi JPEG without metadata. Face-aligned cropping and background
//! replacement come with the face analysis. Pure: an image in, an image and bytes out.

use crate::profile::{Framing, Profile};
use image::RgbImage;
use image::codecs::jpeg::{JpegEncoder, PixelDensity};

/// JPEG quality of the stored photo: high enough to keep skin and hair detail.
const JPEG_QUALITY: u8 = 92;

pub struct Photo {
    /// The photo as shown on the review screen (not mirrored: as others see the candidate).
    pub image: RgbImage,
    pub jpeg: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("camera frame {0}x{1} is too small for a {2}x{3} photo")]
    FrameTooSmall(u32, u32, u32, u32),
    #[error("JPEG encoding failed: {0}")]
    Encode(#[from] image::ImageError),
}

/// Cuts the profile's frame from the centre of a camera frame and encodes it.
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
    Ok(Photo { image, jpeg })
}

/// Baseline JPEG with a JFIF density and no EXIF.
pub fn encode_jpeg(image: &RgbImage, dpi: u32) -> Result<Vec<u8>, PhotoError> {
    let mut jpeg = Vec::with_capacity(256 * 1024);
    let mut encoder = JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY);
    encoder.set_pixel_density(PixelDensity::dpi(dpi.min(u32::from(u16::MAX)) as u16));
    encoder.encode_image(image)?;
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
}
