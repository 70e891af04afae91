//! Cues that a face is a picture of a picture: the periodic texture of a screen's pixel
//! grid or a print's halftone (isolated peaks in the spectrum of the face at its native
//! resolution), and the straight border of a phone or a print around the face.

use super::pixels::grey_patch;
use image::RgbImage;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// Side of the square window (native pixels) taken from the middle of the face.
const WINDOW: usize = 128;
/// A pixel on a border line differs from its neighbour across the line by this much.
const EDGE_STEP: f32 = 40.0;

/// The highest peak over the median in the high-frequency ring of the face's spectrum.
/// Skin and hair give a smooth spectrum (low values); a pixel grid or halftone screen gives
/// sharp peaks (high values).
pub fn periodic_peak(image: &RgbImage, [(x0, y0), (x1, y1)]: [(f32, f32); 2]) -> f32 {
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let side = (WINDOW as f32).min(x1 - x0).min(y1 - y0).max(16.0);
    let n = (side as usize).next_power_of_two().min(WINDOW);
    // Native pixels: resampling would smear the very patterns looked for.
    let region = [
        (cx - n as f32 / 2.0, cy - n as f32 / 2.0),
        (cx + n as f32 / 2.0, cy + n as f32 / 2.0),
    ];
    let (grey, w, h) = grey_patch(image, region, n);
    if w != n || h != n {
        return 0.0;
    }
    let mean = grey.iter().sum::<f32>() / grey.len() as f32;
    // Hann window, then a 2-D FFT (rows, then columns).
    let hann: Vec<f32> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / (n - 1) as f32).cos())
        .collect();
    let mut data: Vec<Complex<f32>> = (0..n * n)
        .map(|i| Complex::new((grey[i] - mean) * hann[i % n] * hann[i / n], 0.0))
        .collect();
    // The planner keeps the plans it made: one per window size, per thread.
    thread_local! {
        static PLANNER: std::cell::RefCell<FftPlanner<f32>> = std::cell::RefCell::new(FftPlanner::new());
    }
    let fft = PLANNER.with(|p| p.borrow_mut().plan_fft_forward(n));
    for row in data.chunks_exact_mut(n) {
        fft.process(row);
    }
    let mut column = vec![Complex::new(0.0, 0.0); n];
    for x in 0..n {
        for y in 0..n {
            column[y] = data[y * n + x];
        }
        fft.process(&mut column);
        for y in 0..n {
            data[y * n + x] = column[y];
        }
    }
    // The squared magnitudes (their order is the magnitudes'; one root each for the peak
    // and the median).
    let mut ring: Vec<f32> = RINGS.with(|r| {
        r.borrow_mut()
            .entry(n)
            .or_insert_with(|| ring_bins(n))
            .iter()
            .map(|&i| data[i].norm_sqr())
            .collect()
    });
    if ring.is_empty() {
        return 0.0;
    }
    let peak = ring.iter().copied().fold(0.0, f32::max).sqrt();
    let mid = ring.len() / 2;
    let median = ring.select_nth_unstable_by(mid, f32::total_cmp).1.sqrt();
    if median > 0.0 { peak / median } else { 0.0 }
}

thread_local! {
    /// The ring's bins per window size, worked out once.
    static RINGS: std::cell::RefCell<std::collections::HashMap<usize, Vec<usize>>> =
        Default::default();
}

/// The bins of an n×n spectrum in the high-frequency ring (0.15–0.5 cycles per pixel),
/// but those on JPEG's 8×8 block grid.
fn ring_bins(n: usize) -> Vec<usize> {
    let mut bins = Vec::new();
    for y in 0..n {
        for x in 0..n {
            let fy = if y <= n / 2 { y } else { n - y } as f32 / n as f32;
            let fx = if x <= n / 2 { x } else { n - x } as f32 / n as f32;
            let r = fx.hypot(fy);
            // JPEG's 8×8 blocks put peaks at multiples of 1/8: those say nothing of screens.
            let on_block_grid =
                |f: f32| ((f * 8.0) - (f * 8.0).round()).abs() * n as f32 / 8.0 < 1.0;
            if (0.15..=0.5).contains(&r) && !on_block_grid(fx) && !on_block_grid(fy) {
                bins.push(y * n + x);
            }
        }
    }
    bins
}

/// Straight borders around the face, on two opposite sides: on the rows and columns between
/// the face and 2.6 face sizes from its centre, the longest unbroken run where the grey
/// level steps by more than EDGE_STEP across the line, relative to two face sizes (capped at
/// 1), for each side; then the weaker of above and below, or of left and right, whichever
/// pair is stronger. A phone's or a print's border frames the face on both sides; a door
/// frame or a wall's corner behind a live person stands on one side only (a real webcam
/// recording before a door read 0.94 on one side, 0.39 at most as a pair).
pub fn border_edges(image: &RgbImage, [(x0, y0), (x1, y1)]: [(f32, f32); 2]) -> f32 {
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (fw, fh) = (x1 - x0, y1 - y0);
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    // Only ever asked for pixels inside the image (the loops below are clipped to it).
    let grey = |x: i64, y: i64| -> f32 {
        let i = ((y * w + x) * 3) as usize;
        0.299 * raw[i] as f32 + 0.587 * raw[i + 1] as f32 + 0.114 * raw[i + 2] as f32
    };
    // The first of `from`, `from + 3`, … at or past `min` (the samples stay on their grid).
    let from_at = |from: i64, min: i64| {
        if from >= min {
            from
        } else {
            from + (min - from + 2) / 3 * 3
        }
    };
    // Lines from just outside the face to 2.6 face sizes from its centre.
    let (outer_w, outer_h) = (fw * 2.6, fh * 2.6);
    let span_x = ((cx - outer_w) as i64, (cx + outer_w) as i64);
    let span_y = ((cy - outer_h) as i64, (cy + outer_h) as i64);
    let face = fw.max(fh).max(1.0);
    // Above, below, left, right.
    let mut side = [0f32; 4];
    // Rows above and below the face, columns left and right of it.
    for (k, (horizontal, from, to)) in [
        (true, span_y.0, (cy - fh * 0.65) as i64),
        (true, (cy + fh * 0.65) as i64, span_y.1),
        (false, span_x.0, (cx - fw * 0.65) as i64),
        (false, (cx + fw * 0.65) as i64, span_x.1),
    ]
    .into_iter()
    .enumerate()
    {
        // A line whose pair (line, line + 2) is not inside the image has no edge; along a
        // line, the samples outside the image (which would end a run) can only be at its
        // ends, so the loops are clipped to the image: the same runs, no bounds tests.
        let (lines_end, along_end) = if horizontal { (h - 2, w) } else { (w - 2, h) };
        for line in (from_at(from, 0)..to.min(lines_end)).step_by(3) {
            let (a, b) = if horizontal { span_x } else { span_y };
            // The longest unbroken run of edge samples along the line.
            let (mut run, mut longest) = (0u32, 0u32);
            for t in (from_at(a, 0)..b.min(along_end)).step_by(3) {
                let (p, q) = if horizontal {
                    (grey(t, line), grey(t, line + 2))
                } else {
                    (grey(line, t), grey(line + 2, t))
                };
                if (p - q).abs() > EDGE_STEP {
                    run += 1;
                    longest = longest.max(run);
                } else {
                    run = 0;
                }
            }
            // A border as long as two faces is as suspicious as it gets.
            side[k] = side[k].max((longest as f32 * 3.0 / (2.0 * face)).min(1.0));
        }
    }
    side[0].min(side[1]).max(side[2].min(side[3]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pixel_grid_has_a_sharp_spectral_peak_and_noise_has_not() {
        let grid = RgbImage::from_fn(256, 256, |x, _| {
            if x % 3 == 0 {
                image::Rgb([40; 3])
            } else {
                image::Rgb([200; 3])
            }
        });
        let mut seed = 12345u32;
        let noise = RgbImage::from_fn(256, 256, |_, _| {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            image::Rgb([(seed >> 24) as u8; 3])
        });
        let region = [(0.0, 0.0), (256.0, 256.0)];
        let (g, n) = (periodic_peak(&grid, region), periodic_peak(&noise, region));
        assert!(g > 10.0 * n, "grid {g}, noise {n}");
    }

    #[test]
    fn a_frame_around_the_face_is_found() {
        let mut img = RgbImage::from_pixel(600, 600, image::Rgb([70, 120, 200]));
        let face = [(250.0, 250.0), (350.0, 350.0)];
        assert!(border_edges(&img, face) < 0.05);
        // A dark bezel from x=150 to 450.
        for y in 0..600 {
            for x in 0..600 {
                if !(150..450).contains(&x) || !(140..460).contains(&y) {
                    img.put_pixel(x, y, image::Rgb([10, 10, 10]));
                }
            }
        }
        assert!(
            border_edges(&img, face) > 0.8,
            "{}",
            border_edges(&img, face)
        );
    }

    /// The longest run of edge samples on one line, the plain way: every sample on the line
    /// tested against the image's bounds (a sample outside ends a run).
    fn longest_run_checked(
        image: &RgbImage,
        horizontal: bool,
        line: i64,
        (a, b): (i64, i64),
    ) -> u32 {
        let grey = |x: i64, y: i64| {
            (x >= 0 && y >= 0 && x < image.width() as i64 && y < image.height() as i64).then(|| {
                let p = image.get_pixel(x as u32, y as u32).0;
                0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
            })
        };
        let (mut run, mut longest) = (0, 0);
        for t in (a..b).step_by(3) {
            let (p, q) = if horizontal {
                (grey(t, line), grey(t, line + 2))
            } else {
                (grey(line, t), grey(line + 2, t))
            };
            match (p, q) {
                (Some(p), Some(q)) if (p - q).abs() > EDGE_STEP => {
                    run += 1;
                    longest = longest.max(run);
                }
                _ => run = 0,
            }
        }
        longest
    }

    #[test]
    fn clipping_the_lines_to_the_image_finds_the_same_borders() {
        // A bezel cut by the image's edges, a face near a corner: the lines and the samples
        // run far outside the image, where the clipped loops skip them.
        let mut img = RgbImage::from_pixel(400, 300, image::Rgb([200, 190, 180]));
        for y in 0..300 {
            for x in 0..400 {
                if x < 60 || y > 250 || (x + y) % 97 < 3 {
                    img.put_pixel(x, y, image::Rgb([20, 20, 30]));
                }
            }
        }
        for face in [
            [(20.0f32, 10.0f32), (110.0, 120.0)],
            [(150.0, 100.0), (250.0, 210.0)],
            [(330.0, 230.0), (395.0, 298.0)],
            [(-40.0, -30.0), (30.0, 50.0)],
        ] {
            let [(x0, y0), (x1, y1)] = face;
            let (cx, cy, fw, fh) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0, x1 - x0, y1 - y0);
            let span_x = ((cx - fw * 2.6) as i64, (cx + fw * 2.6) as i64);
            let span_y = ((cy - fh * 2.6) as i64, (cy + fh * 2.6) as i64);
            let f = fw.max(fh).max(1.0);
            let side = |horizontal: bool, from: i64, to: i64| {
                (from..to)
                    .step_by(3)
                    .map(|line| {
                        let along = if horizontal { span_x } else { span_y };
                        let run = longest_run_checked(&img, horizontal, line, along);
                        (run as f32 * 3.0 / (2.0 * f)).min(1.0)
                    })
                    .fold(0.0, f32::max)
            };
            let s = [
                side(true, span_y.0, (cy - fh * 0.65) as i64),
                side(true, (cy + fh * 0.65) as i64, span_y.1),
                side(false, span_x.0, (cx - fw * 0.65) as i64),
                side(false, (cx + fw * 0.65) as i64, span_x.1),
            ];
            let expected = s[0].min(s[1]).max(s[2].min(s[3]));
            assert_eq!(border_edges(&img, face), expected, "{face:?}");
        }
    }

    #[test]
    fn an_edge_on_one_side_only_is_not_a_frame() {
        // A door frame right of a live person: one long vertical edge.
        let mut img = RgbImage::from_pixel(600, 600, image::Rgb([230, 230, 225]));
        let face = [(250.0, 250.0), (350.0, 350.0)];
        for y in 0..600 {
            for x in 420..440 {
                img.put_pixel(x, y, image::Rgb([90, 70, 50]));
            }
        }
        assert!(
            border_edges(&img, face) < 0.05,
            "{}",
            border_edges(&img, face)
        );
        // The same edge left of the face as well: framed.
        for y in 0..600 {
            for x in 160..180 {
                img.put_pixel(x, y, image::Rgb([90, 70, 50]));
            }
        }
        assert!(
            border_edges(&img, face) > 0.8,
            "{}",
            border_edges(&img, face)
        );
    }
}
