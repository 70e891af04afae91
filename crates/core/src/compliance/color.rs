//! Colour as people see it: sRGB to CIELAB (D65) and the distance between two colours
//! (ΔE, CIE76), which the background, clothing and skin checks measure in.

/// CIELAB: L* 0..100, a* and b* roughly -128..127.
pub type Lab = [f32; 3];

/// sRGB's transfer curve for every 8-bit value (computed once).
static LINEAR: std::sync::LazyLock<[f32; 256]> = std::sync::LazyLock::new(|| {
    std::array::from_fn(|i| {
        let c = i as f32 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    })
});

fn linear(c: u8) -> f32 {
    LINEAR[c as usize]
}

/// Cube root of a positive number: a bit-level first guess and two Newton steps (relative
/// error below 1e-5, a thousandth of an L* unit; libm's `cbrtf` is several times slower and
/// Lab conversion runs on tens of thousands of pixels per frame).
fn cbrt(x: f32) -> f32 {
    let mut y = f32::from_bits(x.to_bits() / 3 + 709_921_077);
    for _ in 0..2 {
        y -= (y * y * y - x) / (3.0 * y * y);
    }
    y
}

fn f(t: f32) -> f32 {
    const D: f32 = 6.0 / 29.0;
    if t > D * D * D {
        cbrt(t)
    } else {
        t / (3.0 * D * D) + 4.0 / 29.0
    }
}

pub fn lab([r, g, b]: [u8; 3]) -> Lab {
    let (r, g, b) = (linear(r), linear(g), linear(b));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// L* alone (the same value as `lab(c)[0]`, for a third of the work: one cube root).
pub fn lightness([r, g, b]: [u8; 3]) -> f32 {
    let y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    116.0 * f(y) - 16.0
}

/// CIE76 colour difference: about 2 is just noticeable, 20 clearly different.
pub fn delta_e(a: Lab, b: Lab) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Running mean and spread of Lab colours.
#[derive(Debug, Clone, Copy, Default)]
pub struct LabStats {
    n: f64,
    sum: [f64; 3],
    sum_sq: [f64; 3],
}

impl LabStats {
    pub fn add(&mut self, c: Lab) {
        self.n += 1.0;
        for (k, v) in c.iter().enumerate() {
            self.sum[k] += *v as f64;
            self.sum_sq[k] += (*v as f64).powi(2);
        }
    }
    pub fn count(&self) -> usize {
        self.n as usize
    }
    pub fn mean(&self) -> Option<Lab> {
        (self.n > 0.0).then(|| [0, 1, 2].map(|k| (self.sum[k] / self.n) as f32))
    }
    /// The colours' spread around their mean, in ΔE (root of the summed variances).
    pub fn spread(&self) -> Option<f32> {
        (self.n > 1.0).then(|| {
            let var: f64 = (0..3)
                .map(|k| (self.sum_sq[k] / self.n - (self.sum[k] / self.n).powi(2)).max(0.0))
                .sum();
            var.sqrt() as f32
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_colours_have_known_lab_values() {
        let white = lab([255, 255, 255]);
        assert!(
            (white[0] - 100.0).abs() < 0.1 && white[1].abs() < 0.2 && white[2].abs() < 0.2,
            "{white:?}"
        );
        assert!(lab([0, 0, 0])[0].abs() < 0.01);
        for c in [
            [0, 0, 0],
            [255, 255, 255],
            [200, 150, 120],
            [3, 90, 250],
            [128, 128, 128],
        ] {
            assert_eq!(lightness(c), lab(c)[0], "{c:?}");
        }
        let red = lab([255, 0, 0]);
        assert!(
            (red[0] - 53.2).abs() < 0.5
                && (red[1] - 80.1).abs() < 1.0
                && (red[2] - 67.2).abs() < 1.0,
            "{red:?}"
        );
        let blue = lab([0, 0, 255]);
        assert!(
            (blue[0] - 32.3).abs() < 0.5 && (blue[2] + 107.9).abs() < 1.5,
            "{blue:?}"
        );
    }

    #[test]
    fn spread_is_zero_for_one_colour_and_grows_with_variety() {
        let mut s = LabStats::default();
        for _ in 0..10 {
            s.add([50.0, 0.0, 0.0]);
        }
        assert!(s.spread().unwrap() < 1e-3);
        s.add([70.0, 0.0, 0.0]);
        assert!(s.spread().unwrap() > 5.0);
        assert_eq!(delta_e([50.0, 10.0, 0.0], [50.0, 10.0, 20.0]), 20.0);
    }
}
