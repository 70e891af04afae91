//! Reading pixels for the measures: one pixel with bounds, and a region resampled to grey
//! levels at a fixed size (bilinear), which sharpness and the texture cues share.

use crate::face::floor_i;
use image::RgbImage;

/// The pixel at (x, y), if it is inside the image.
pub fn pixel(image: &RgbImage, x: i64, y: i64) -> Option<[u8; 3]> {
    (x >= 0 && y >= 0 && x < image.width() as i64 && y < image.height() as i64)
        .then(|| image.get_pixel(x as u32, y as u32).0)
}

/// Grey levels of a region resampled to a fixed width (bilinear), row-major.
pub fn grey_patch(
    image: &RgbImage,
    [(x0, y0), (x1, y1)]: [(f32, f32); 2],
    width: usize,
) -> (Vec<f32>, usize, usize) {
    let (w, h) = ((x1 - x0).max(1.0), (y1 - y0).max(1.0));
    let height = ((width as f32 * h / w).round() as usize).max(2);
    let mut out = Vec::with_capacity(width * height);
    let (iw, ih) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let grey_at =
        |i: usize| 0.299 * raw[i] as f32 + 0.587 * raw[i + 1] as f32 + 0.114 * raw[i + 2] as f32;
    // The region is upright: a column's taps and weights are the same on every row (and a
    // row's on every column), so they are worked out once.
    let taps = |start: f32, extent: f32, n: usize| -> Vec<(i64, f32)> {
        (0..n)
            .map(|k| {
                let t = start + (k as f32 + 0.5) * extent / n as f32 - 0.5;
                let i = floor_i(t);
                (i, t - i as f32)
            })
            .collect()
    };
    let (columns, rows) = (taps(x0, w, width), taps(y0, h, height));
    for &(yi, fy) in &rows {
        for &(xi, fx) in &columns {
            if xi >= 0 && yi >= 0 && xi + 1 < iw && yi + 1 < ih {
                // Inside the image (nearly always): the four taps straight from the buffer.
                let i = ((yi * iw + xi) * 3) as usize;
                let row = (iw * 3) as usize;
                out.push(
                    (grey_at(i) * (1.0 - fx) + grey_at(i + 3) * fx) * (1.0 - fy)
                        + (grey_at(i + row) * (1.0 - fx) + grey_at(i + row + 3) * fx) * fy,
                );
                continue;
            }
            let g = |x: i64, y: i64| {
                pixel(image, x, y).map_or(0.0, |p| {
                    0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
                })
            };
            out.push(
                (g(xi, yi) * (1.0 - fx) + g(xi + 1, yi) * fx) * (1.0 - fy)
                    + (g(xi, yi + 1) * (1.0 - fx) + g(xi + 1, yi + 1) * fx) * fy,
            );
        }
    }
    (out, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_keeps_the_regions_shape_and_its_grey_levels() {
        // Left half black, right half white, 100×50.
        let img = RgbImage::from_fn(100, 50, |x, _| {
            image::Rgb([if x < 50 { 0 } else { 255 }; 3])
        });
        let (g, w, h) = grey_patch(&img, [(0.0, 0.0), (100.0, 50.0)], 20);
        assert_eq!((w, h), (20, 10));
        assert!(g[0] < 1.0 && g[19] > 254.0, "{} {}", g[0], g[19]);
        assert_eq!(pixel(&img, 99, 49), Some([255; 3]));
        assert_eq!(pixel(&img, 100, 0), None);
        assert_eq!(pixel(&img, -1, 0), None);
    }

    #[test]
    fn each_sample_is_the_bilinear_grey_at_its_own_place() {
        // A grey ramp of 3 levels per column and 2 per row: bilinear sampling gives the
        // ramp's own value wherever a sample falls, fractions included; a region that
        // reaches past the image's edge reads black for the taps outside.
        let img = RgbImage::from_fn(60, 40, |x, y| image::Rgb([(3 * x + 2 * y) as u8; 3]));
        let region = [(5.3f32, 7.9f32), (41.7f32, 30.2f32)];
        let (g, w, h) = grey_patch(&img, region, 16);
        for (k, v) in g.iter().enumerate() {
            let x = 5.3 + ((k % w) as f32 + 0.5) * 36.4 / w as f32 - 0.5;
            let y = 7.9 + ((k / w) as f32 + 0.5) * 22.3 / h as f32 - 0.5;
            let ramp = 3.0 * x + 2.0 * y;
            assert!(
                (v - ramp).abs() < 0.01 * ramp.max(1.0),
                "sample {k}: {v} against {ramp}"
            );
        }
        let (g, w, _) = grey_patch(&img, [(50.0, 0.0), (70.0, 10.0)], 20);
        assert!(g[w - 1] < 1.0 && g[0] > 100.0, "{g:?}");
    }
}
