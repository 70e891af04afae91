//! Raw camera buffers to RGB: MJPEG (as UVC cameras send it, often without Huffman
//! tables) and packed YUYV 4:2:2 (BT.601, limited range). The USB source and the replay of
//! recorded buffers both go through [`decode`], so the path is tested without a camera.
//! A corrupt buffer is an error, never a panic.

use image::RgbImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Mjpeg,
    Yuyv,
}

impl std::fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PixelFormat::Mjpeg => "MJPEG",
            PixelFormat::Yuyv => "YUYV",
        })
    }
}

/// One buffer as the camera hands it over.
#[derive(Debug, Clone)]
pub struct RawFrame {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("MJPEG frame is not a JPEG image (no start-of-image marker)")]
    NotJpeg,
    #[error("MJPEG frame is corrupt: {0}")]
    CorruptJpeg(String),
    #[error("YUYV frame has {found} bytes, {width}x{height} needs {expected}")]
    YuyvSize {
        found: usize,
        expected: usize,
        width: u32,
        height: u32,
    },
    #[error("frame size {0}x{1} is not usable")]
    BadSize(u32, u32),
}

pub fn decode(raw: &RawFrame) -> Result<RgbImage, DecodeError> {
    match raw.format {
        PixelFormat::Mjpeg => decode_mjpeg(&raw.data),
        PixelFormat::Yuyv => decode_yuyv(raw.width, raw.height, &raw.data),
    }
}

pub fn decode_mjpeg(data: &[u8]) -> Result<RgbImage, DecodeError> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(DecodeError::NotJpeg);
    }
    // A frame cut short (the USB link dropped) would decode with grey where data is
    // missing: that is a broken frame, not a picture.
    if !ends_with_eoi(data) {
        return Err(DecodeError::CorruptJpeg(
            "frame is truncated (no end-of-image marker)".into(),
        ));
    }
    let with_tables;
    let data = if has_huffman_tables(data) {
        data
    } else {
        with_tables = insert_standard_huffman_tables(data);
        &with_tables
    };
    let options = zune_jpeg::zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_jpeg::zune_core::colorspace::ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_jpeg::zune_core::bytestream::ZCursor::new(data),
        options,
    );
    let pixels = decoder
        .decode()
        .map_err(|e| DecodeError::CorruptJpeg(e.to_string()))?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError::CorruptJpeg("no image header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if w == 0 || h == 0 {
        return Err(DecodeError::BadSize(w, h));
    }
    RgbImage::from_raw(w, h, pixels)
        .ok_or_else(|| DecodeError::CorruptJpeg("pixel count mismatch".into()))
}

fn ends_with_eoi(data: &[u8]) -> bool {
    // Some cameras pad the buffer after the end-of-image marker.
    let tail = &data[data.len().saturating_sub(1024)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Walks the marker segments up to the start of scan looking for a DHT segment.
fn has_huffman_tables(data: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return false;
        }
        let marker = data[i + 1];
        match marker {
            0xC4 => return true,
            0xDA | 0xD9 => return false,
            0xD0..=0xD7 | 0x01 | 0xFF => i += if marker == 0xFF { 1 } else { 2 },
            _ => i += 2 + usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]])),
        }
    }
    false
}

fn insert_standard_huffman_tables(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + STANDARD_DHT.len());
    out.extend_from_slice(&data[..2]);
    out.extend_from_slice(&STANDARD_DHT);
    out.extend_from_slice(&data[2..]);
    out
}

/// The Huffman tables of ITU-T T.81 Annex K.3, which MJPEG streams without a DHT use.
const STANDARD_DHT: [u8; 420] = {
    const DC_LUMA_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const DC_CHROMA_BITS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    const DC_VALUES: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const AC_LUMA_BITS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
    const AC_LUMA_VALUES: [u8; 162] = [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
        0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52,
        0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
        0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
        0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
        0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
        0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
        0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
        0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3,
        0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
        0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];
    const AC_CHROMA_BITS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
    const AC_CHROMA_VALUES: [u8; 162] = [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
        0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
        0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18,
        0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
        0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
        0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
        0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
        0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
        0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
        0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
        0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];
    // One DHT segment holding all four tables: FF C4, length, then (class/id, bits, values)*.
    let mut out = [0u8; 420];
    out[0] = 0xFF;
    out[1] = 0xC4;
    let len: u16 = 418;
    out[2] = (len >> 8) as u8;
    out[3] = len as u8;
    let mut i = 4;
    let tables: [(u8, &[u8; 16], &[u8]); 4] = [
        (0x00, &DC_LUMA_BITS, &DC_VALUES),
        (0x10, &AC_LUMA_BITS, &AC_LUMA_VALUES),
        (0x01, &DC_CHROMA_BITS, &DC_VALUES),
        (0x11, &AC_CHROMA_BITS, &AC_CHROMA_VALUES),
    ];
    let mut t = 0;
    while t < 4 {
        let (class_id, bits, values) = tables[t];
        out[i] = class_id;
        i += 1;
        let mut b = 0;
        while b < 16 {
            out[i] = bits[b];
            i += 1;
            b += 1;
        }
        let mut v = 0;
        while v < values.len() {
            out[i] = values[v];
            i += 1;
            v += 1;
        }
        t += 1;
    }
    assert!(i == 420);
    out
};

/// Packed YUYV (Y0 U Y1 V), BT.601 limited range, as UVC cameras deliver it.
pub fn decode_yuyv(width: u32, height: u32, data: &[u8]) -> Result<RgbImage, DecodeError> {
    if width == 0 || height == 0 || !width.is_multiple_of(2) {
        return Err(DecodeError::BadSize(width, height));
    }
    let expected = width as usize * height as usize * 2;
    if data.len() < expected {
        return Err(DecodeError::YuyvSize {
            found: data.len(),
            expected,
            width,
            height,
        });
    }
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    for (src, dst) in data[..expected]
        .chunks_exact(4)
        .zip(rgb.chunks_exact_mut(6))
    {
        let (u, v) = (i32::from(src[1]) - 128, i32::from(src[3]) - 128);
        // Fixed-point BT.601: R = 1.164(Y-16) + 1.596V, G = … - 0.392U - 0.813V, B = … + 2.017U
        let r_off = 409 * v;
        let g_off = -100 * u - 208 * v;
        let b_off = 516 * u;
        for (k, y) in [src[0], src[2]].into_iter().enumerate() {
            let c = 298 * (i32::from(y) - 16) + 128;
            dst[k * 3] = ((c + r_off) >> 8).clamp(0, 255) as u8;
            dst[k * 3 + 1] = ((c + g_off) >> 8).clamp(0, 255) as u8;
            dst[k * 3 + 2] = ((c + b_off) >> 8).clamp(0, 255) as u8;
        }
    }
    RgbImage::from_raw(width, height, rgb).ok_or(DecodeError::BadSize(width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_tables_have_the_right_counts() {
        // Each table's code counts add up to its number of values.
        let mut i = 4;
        while i < STANDARD_DHT.len() {
            let counts: usize = STANDARD_DHT[i + 1..i + 17]
                .iter()
                .map(|&c| usize::from(c))
                .sum();
            i += 17 + counts;
        }
        assert_eq!(i, STANDARD_DHT.len());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(decode_mjpeg(b"not a jpeg"), Err(DecodeError::NotJpeg));
        assert!(decode_mjpeg(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00]).is_err());
        assert!(decode_mjpeg(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9]).is_err());
        assert!(matches!(
            decode_yuyv(4, 2, &[0; 10]),
            Err(DecodeError::YuyvSize { .. })
        ));
        assert_eq!(decode_yuyv(3, 2, &[0; 12]), Err(DecodeError::BadSize(3, 2)));
    }

    #[test]
    fn yuyv_greys_and_primaries_convert() {
        // Y=16 is black, Y=235 white (limited range); neutral chroma.
        let img = decode_yuyv(2, 1, &[16, 128, 235, 128]).unwrap();
        assert_eq!(img.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(img.get_pixel(1, 0).0, [255, 255, 255]);
        // BT.601 limited-range red is Y=81, U=90, V=240.
        let red = decode_yuyv(2, 1, &[81, 90, 81, 240]).unwrap();
        let [r, g, b] = red.get_pixel(0, 0).0;
        assert!(r >= 250 && g <= 5 && b <= 5, "{r} {g} {b}");
    }
}
