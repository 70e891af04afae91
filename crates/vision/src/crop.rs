//! The crop of a region of interest (a rotated rectangle, `capture_core::face::Roi`) into a
//! model's input tensor: bilinear, the value range mapped, zero or the edge outside the image.

use capture_core::face::{Roi, floor_i};
use image::RgbImage;
use tract_onnx::prelude::Tensor;

/// What a crop sees outside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Border {
    /// Black (0 before the value mapping), as MediaPipe's detector and segmenter pad.
    Zero,
    /// The nearest edge pixel, as MediaPipe's landmark crops do.
    Replicate,
}

/// Samples `roi` of `image` into a 1×size×size×3 tensor (bilinear), channel values mapped
/// from [0, 255] to [lo, hi]. `mirror` flips the crop left to right (MediaPipe runs the
/// iris model on one eye mirrored).
pub fn crop(
    image: &RgbImage,
    roi: &Roi,
    size: usize,
    (lo, hi): (f32, f32),
    border: Border,
    mirror: bool,
) -> Tensor {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let scale = (hi - lo) / 255.0;
    let mut data = vec![0f32; size * size * 3];
    let (s, c) = roi.rotation.sin_cos();
    let step_x = roi.width / size as f32;
    let step_y = roi.height / size as f32;
    let sample = |i: usize, weight: f32, px: &mut [f32; 3]| {
        px[0] += weight * raw[i] as f32;
        px[1] += weight * raw[i + 1] as f32;
        px[2] += weight * raw[i + 2] as f32;
    };
    for v in 0..size {
        let ly = (v as f32 + 0.5) * step_y - roi.height / 2.0;
        for u in 0..size {
            let uu = if mirror { size - 1 - u } else { u };
            let lx = (uu as f32 + 0.5) * step_x - roi.width / 2.0;
            // Pixel centres are at integer + 0.5.
            let x = roi.cx + lx * c - ly * s - 0.5;
            let y = roi.cy + lx * s + ly * c - 0.5;
            let (x0, y0) = (floor_i(x), floor_i(y));
            let (fx, fy) = (x - x0 as f32, y - y0 as f32);
            let mut px = [0f32; 3];
            let o = (v * size + u) * 3;
            if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
                // Inside the image (nearly always): the four taps, no border rules.
                let i = ((y0 * w + x0) * 3) as usize;
                let row = (w * 3) as usize;
                sample(i, (1.0 - fx) * (1.0 - fy), &mut px);
                sample(i + 3, fx * (1.0 - fy), &mut px);
                sample(i + row, (1.0 - fx) * fy, &mut px);
                sample(i + row + 3, fx * fy, &mut px);
                for k in 0..3 {
                    data[o + k] = lo + px[k] * scale;
                }
                continue;
            }
            for (dy, wy) in [(0, 1.0 - fy), (1, fy)] {
                for (dx, wx) in [(0, 1.0 - fx), (1, fx)] {
                    let (mut sx, mut sy) = (x0 + dx, y0 + dy);
                    if border == Border::Replicate {
                        sx = sx.clamp(0, w - 1);
                        sy = sy.clamp(0, h - 1);
                    }
                    if sx >= 0 && sy >= 0 && sx < w && sy < h {
                        sample(((sy * w + sx) * 3) as usize, wx * wy, &mut px);
                    }
                }
            }
            for k in 0..3 {
                data[o + k] = lo + px[k] * scale;
            }
        }
    }
    Tensor::from_shape(&[1, size, size, 3], &data).expect("shape matches data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_samples_the_right_pixels_and_maps_the_range() {
        // Left half black, right half white.
        let img = RgbImage::from_fn(100, 100, |x, _| {
            if x < 50 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        let roi = Roi {
            cx: 50.0,
            cy: 50.0,
            width: 100.0,
            height: 100.0,
            rotation: 0.0,
        };
        let t = crop(&img, &roi, 10, (-1.0, 1.0), Border::Zero, false);
        let v = t
            .to_plain_array_view::<f32>()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<f32>>();
        assert_eq!(v[0], -1.0, "top-left is black");
        assert_eq!(v[(5 * 10 + 9) * 3], 1.0, "right is white");
        let mirrored = crop(&img, &roi, 10, (0.0, 1.0), Border::Zero, true);
        assert_eq!(
            mirrored
                .to_plain_array_view::<f32>()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<f32>>()[0],
            1.0,
            "mirrored: left is white"
        );
        let outside = Roi { cx: -500.0, ..roi };
        let replicated = crop(&img, &outside, 4, (0.0, 1.0), Border::Replicate, false);
        assert!(
            replicated
                .to_plain_array_view::<f32>()
                .unwrap()
                .iter()
                .all(|&x| x == 0.0),
            "the black left edge, repeated"
        );
        let right = Roi { cx: 700.0, ..roi };
        let replicated = crop(&img, &right, 4, (0.0, 1.0), Border::Replicate, false);
        assert!(
            replicated
                .to_plain_array_view::<f32>()
                .unwrap()
                .iter()
                .all(|&x| x == 1.0),
            "the white right edge, repeated"
        );
        assert!(
            crop(&img, &outside, 4, (0.0, 1.0), Border::Zero, false)
                .to_plain_array_view::<f32>()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<f32>>()
                .iter()
                .all(|&x| x == 0.0)
        );
    }
}
