//! Pictures as people bring them: a phone's JPEG turned sideways by its EXIF orientation, an
//! iPhone's HEIC, a scanner's PNG, a WebP saved from a web page. [`decode`] finds the format
//! from the bytes (never from the file name: phones and web sites name files wrongly),
//! decodes it, and turns it upright as its EXIF orientation says, so the checks see the face
//! the way a person looking at the photo sees it. Formats it cannot read get an error that
//! names the format and says what to do, in Chinese and English.

use crate::lang::Localized;
use image::{ImageDecoder, ImageFormat, ImageReader, RgbImage};
use std::io::Cursor;

/// The formats [`decode`] reads, for messages.
#[cfg(feature = "heic")]
pub const READABLE: &str = "JPEG, PNG, WebP, HEIC";
#[cfg(not(feature = "heic"))]
pub const READABLE: &str = "JPEG, PNG, WebP";

/// Larger pictures are refused before decoding (a 12 MP phone photo is 4000×3000; a
/// 600 dpi A4 scan is about 5000×7000).
const MAX_PIXELS: u64 = 60_000_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PictureError {
    /// Only where this build has no HEIC decoder (the `heic` feature is off).
    #[error(
        "HEIC/HEIF photos cannot be read here: save or export the photo as JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible)"
    )]
    Heic,
    #[error("{0} pictures cannot be read here: use {READABLE}")]
    Unsupported(&'static str),
    #[error("not a picture (the bytes are no {READABLE} file)")]
    NotAPicture,
    #[error("the picture is {0}×{1} pixels: too large to check (at most {MAX_PIXELS} pixels)")]
    TooLarge(u32, u32),
    #[error("the {format} file is damaged or cut short: {detail}")]
    Damaged {
        format: &'static str,
        detail: String,
    },
}

impl PictureError {
    /// What a person is told (the kiosk's screens, the review page).
    pub fn message(&self) -> Localized {
        match self {
            PictureError::Heic => Localized::fixed(
                "无法读取 HEIC 格式的照片：请另存为 JPEG 格式",
                "HEIC photos cannot be read: save the photo as JPEG",
            ),
            PictureError::TooLarge(..) => {
                Localized::fixed("图片太大，无法检测", "The picture is too large to check")
            }
            _ if cfg!(feature = "heic") => Localized::fixed(
                "无法读取这张图片：请使用 JPEG、PNG、WebP 或 HEIC 格式",
                "This picture cannot be read: use JPEG, PNG, WebP or HEIC",
            ),
            _ => Localized::fixed(
                "无法读取这张图片：请使用 JPEG、PNG 或 WebP 格式",
                "This picture cannot be read: use JPEG, PNG or WebP",
            ),
        }
    }
}

/// A decoded picture, upright.
pub struct Picture {
    pub image: RgbImage,
    /// `JPEG`, `PNG`, `WebP` or `HEIC`.
    pub format: &'static str,
    /// The EXIF orientation found (1–8; 1 when there is none), already applied to `image`.
    /// A HEIC file's rotation and mirroring are its own boxes (`irot`, `imir`), which the
    /// decoder applies (its EXIF orientation is ignored, as HEIF says): 1 there.
    pub orientation: u8,
}

fn name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Avif => "AVIF",
        ImageFormat::Ico => "ICO",
        _ => "this kind of",
    }
}

/// True for an ISO-BMFF file whose brand is HEIF's (`ftypheic`, `ftypmif1`, …).
fn is_heif(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1"
        )
}

/// Decodes `bytes` (JPEG, PNG, WebP or HEIC, whatever the file is called) and turns the
/// picture upright by its EXIF orientation.
pub fn decode(bytes: &[u8]) -> Result<Picture, PictureError> {
    if is_heif(bytes) {
        return decode_heif(bytes);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PictureError::NotAPicture)?;
    let format = reader.format().ok_or(PictureError::NotAPicture)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(PictureError::Unsupported(name(format)));
    }
    let damaged = |e: image::ImageError| PictureError::Damaged {
        format: name(format),
        detail: e.to_string(),
    };
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PictureError::TooLarge(w, h));
    }
    // A damaged EXIF block is not a damaged picture: it is then read as upright.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(damaged)?;
    image.apply_orientation(orientation);
    Ok(Picture {
        image: image.to_rgb8(),
        format: name(format),
        orientation: orientation.to_exif(),
    })
}

#[cfg(not(feature = "heic"))]
fn decode_heif(_: &[u8]) -> Result<Picture, PictureError> {
    Err(PictureError::Heic)
}

/// HEIC/HEIF through libheif: the primary image, with the file's own rotation, mirroring
/// and crop applied, as 8-bit RGB. The size is checked before anything is decoded.
#[cfg(feature = "heic")]
fn decode_heif(bytes: &[u8]) -> Result<Picture, PictureError> {
    use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};
    let damaged = |e: libheif_rs::HeifError| PictureError::Damaged {
        format: "HEIC",
        detail: e.message,
    };
    let context = HeifContext::read_from_bytes(bytes).map_err(damaged)?;
    let handle = context.primary_image_handle().map_err(damaged)?;
    let (w, h) = (handle.width(), handle.height());
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PictureError::TooLarge(w, h));
    }
    let decoded = LibHeif::new()
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(damaged)?;
    let planes = decoded.planes();
    let short = |detail: &str| PictureError::Damaged {
        format: "HEIC",
        detail: detail.into(),
    };
    let plane = planes
        .interleaved
        .ok_or_else(|| short("no RGB picture in it"))?;
    let (pw, ph) = (plane.width as usize, plane.height as usize);
    if plane.storage_bits_per_pixel != 24 {
        return Err(short("not 8 bits per colour"));
    }
    if pw == 0
        || ph == 0
        || plane.stride < pw * 3
        || plane.data.len() < plane.stride * (ph - 1) + pw * 3
    {
        return Err(short("its picture is smaller than it says"));
    }
    let mut rgb = Vec::with_capacity(pw * ph * 3);
    for row in plane.data.chunks(plane.stride).take(ph) {
        rgb.extend_from_slice(&row[..pw * 3]);
    }
    let image = RgbImage::from_raw(plane.width, plane.height, rgb)
        .ok_or_else(|| short("its picture is smaller than it says"))?;
    Ok(Picture {
        image,
        format: "HEIC",
        orientation: 1,
    })
}

/// `image` as a HEIC file (HEVC through libheif's x265 encoder, `quality` 0–100), as a phone
/// writes one: for tests and tools that need HEIC input. The kiosk itself never writes HEIC.
#[cfg(feature = "heic")]
pub fn encode_heic(image: &RgbImage, quality: u8) -> Result<Vec<u8>, String> {
    use libheif_rs::{
        Channel, ColorSpace, CompressionFormat, EncoderQuality, HeifContext, Image, LibHeif,
        RgbChroma,
    };
    let err = |e: libheif_rs::HeifError| e.message;
    let (w, h) = image.dimensions();
    let mut out = Image::new(w, h, ColorSpace::Rgb(RgbChroma::Rgb)).map_err(err)?;
    out.create_plane(Channel::Interleaved, w, h, 8)
        .map_err(err)?;
    let plane = out
        .planes_mut()
        .interleaved
        .ok_or("libheif made no RGB plane")?;
    for (y, row) in image.as_raw().chunks(w as usize * 3).enumerate() {
        plane.data[y * plane.stride..][..row.len()].copy_from_slice(row);
    }
    let lib = LibHeif::new();
    let mut encoder = lib
        .encoder_for_format(CompressionFormat::Hevc)
        .map_err(err)?;
    encoder
        .set_quality(EncoderQuality::Lossy(quality.min(100)))
        .map_err(err)?;
    let mut context = HeifContext::new().map_err(err)?;
    context
        .encode_image(&out, &mut encoder, None)
        .map_err(err)?;
    context.write_to_bytes().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb};

    /// A 40×20 picture: red on the left half, blue on the right.
    fn left_red() -> RgbImage {
        RgbImage::from_fn(40, 20, |x, _| {
            if x < 20 {
                Rgb([220, 0, 0])
            } else {
                Rgb([0, 0, 220])
            }
        })
    }

    /// A minimal little-endian TIFF/EXIF block holding only the orientation tag.
    fn exif_orientation(o: u16) -> Vec<u8> {
        let mut v = b"II*\0".to_vec();
        v.extend(8u32.to_le_bytes()); // first IFD
        v.extend(1u16.to_le_bytes()); // one entry
        v.extend(0x0112u16.to_le_bytes()); // Orientation
        v.extend(3u16.to_le_bytes()); // SHORT
        v.extend(1u32.to_le_bytes()); // count
        v.extend(o.to_le_bytes());
        v.extend([0, 0]);
        v.extend(0u32.to_le_bytes()); // no next IFD
        v
    }

    fn jpeg_with_orientation(image: &RgbImage, o: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
        enc.set_exif_metadata(exif_orientation(o)).unwrap();
        enc.write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
        out
    }

    fn is_red(p: &Rgb<u8>) -> bool {
        p[0] > 150 && p[2] < 80
    }

    #[test]
    fn a_phone_photo_is_turned_upright_by_its_orientation() {
        // Orientation 6: the stored picture must be turned 90° clockwise to be seen upright.
        let picture = decode(&jpeg_with_orientation(&left_red(), 6)).unwrap();
        assert_eq!(picture.orientation, 6);
        assert_eq!(picture.image.dimensions(), (20, 40));
        // The stored left (red) half ends up on top.
        assert!(is_red(picture.image.get_pixel(10, 5)));
        assert!(!is_red(picture.image.get_pixel(10, 35)));
        // Orientation 8 turns the other way: red at the bottom.
        let picture = decode(&jpeg_with_orientation(&left_red(), 8)).unwrap();
        assert!(is_red(picture.image.get_pixel(10, 35)));
        // 1: as stored.
        let picture = decode(&jpeg_with_orientation(&left_red(), 1)).unwrap();
        assert_eq!(picture.image.dimensions(), (40, 20));
        assert!(is_red(picture.image.get_pixel(5, 10)));
    }

    #[test]
    fn webp_and_png_are_read_whatever_the_file_is_called() {
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .write_image(&left_red(), 40, 20, image::ExtendedColorType::Rgb8)
            .unwrap();
        let picture = decode(&webp).unwrap();
        assert_eq!(
            (picture.format, picture.image.dimensions()),
            ("WebP", (40, 20))
        );
        assert!(is_red(picture.image.get_pixel(5, 10)));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&left_red(), 40, 20, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert_eq!(decode(&png).unwrap().format, "PNG");
    }

    #[test]
    fn what_cannot_be_read_is_named() {
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        if cfg!(feature = "heic") {
            // A HEIC header with nothing after it: damaged, not refused.
            assert!(matches!(
                decode(heic).err(),
                Some(PictureError::Damaged { format: "HEIC", .. })
            ));
        } else {
            assert_eq!(decode(heic).err(), Some(PictureError::Heic));
        }
        assert!(PictureError::Heic.to_string().contains("JPEG"));
        let gif = b"GIF89a\x01\0\x01\0\0\0\0;";
        assert_eq!(decode(gif).err(), Some(PictureError::Unsupported("GIF")));
        assert_eq!(
            decode(b"hello, world").err(),
            Some(PictureError::NotAPicture)
        );
        let mut cut = jpeg_with_orientation(&left_red(), 1);
        cut.truncate(cut.len() / 2);
        assert!(matches!(
            decode(&cut).err(),
            Some(PictureError::Damaged { format: "JPEG", .. })
        ));
    }

    #[test]
    fn a_picture_too_large_to_check_is_refused_before_decoding() {
        // A PNG header claiming 20000×20000 pixels, with no pixel data behind it.
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0u8; 3], 1, 1, image::ExtendedColorType::Rgb8)
            .unwrap();
        png[16..20].copy_from_slice(&20000u32.to_be_bytes());
        png[20..24].copy_from_slice(&20000u32.to_be_bytes());
        // The IHDR chunk's CRC (over type and data, bytes 12..29) made right again.
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            decode(&png).err(),
            Some(PictureError::TooLarge(20000, 20000))
        );
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[cfg(feature = "heic")]
    #[test]
    fn an_iphone_heic_photo_is_read() {
        // 64×48: red on the left, blue on the right (HEVC codes in 8×8 blocks and more).
        let source = RgbImage::from_fn(64, 48, |x, _| {
            if x < 32 {
                Rgb([220, 0, 0])
            } else {
                Rgb([0, 0, 220])
            }
        });
        let bytes = encode_heic(&source, 90).unwrap();
        assert!(is_heif(&bytes), "libheif writes a HEIF brand");
        let picture = decode(&bytes).unwrap();
        assert_eq!(picture.format, "HEIC");
        assert_eq!(picture.image.dimensions(), (64, 48));
        assert!(is_red(picture.image.get_pixel(8, 24)));
        assert!(!is_red(picture.image.get_pixel(56, 24)));
        assert!(picture.image.get_pixel(56, 24)[2] > 150, "blue stays blue");
        // Cut short: a clear error, not a crash.
        let cut = &bytes[..bytes.len() / 2];
        assert!(matches!(
            decode(cut).err(),
            Some(PictureError::Damaged { format: "HEIC", .. })
        ));
    }
}
