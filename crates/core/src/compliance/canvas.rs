//! The canvas a turned photo shows at its edges. Levelling a photo by rotating it (as face
//! crops, scanners and photo editors do) uncovers the picture's corners, which are filled
//! with one flat colour — nearly always pure white — bounded by the turned picture's
//! straight edges. That canvas is not the scene behind the person, so the background
//! measures of a photo file leave it out (the final photo replaces the background anyway).
//!
//! Found row by row on the measures' sample grid: in each row, the run of canvas-white
//! samples from the left edge and from the right. The turned picture is a rectangle turned
//! by one angle, so on each side the runs fall along a straight line from the top rows
//! inwards and another from the bottom rows inwards (a V, or two wedges with nothing
//! between), every line at that angle or at the right angle to it, with whole-white rows
//! only above and below the picture. A white wall up to a person's outline, a
//! lamp or a white door frame is none of that (the unit tests below).

use super::pixels::pixel;
use image::RgbImage;

/// The level every channel of a canvas white is at least (JPEG moves it a little).
const WHITE: u8 = 245;
/// How far (in samples) a row's run may stray from its straight line: the soft edge of the
/// turned picture and compression.
const STRAY: f32 = 1.5;
/// Rows a line needs before its slope says anything.
const LINE_ROWS: usize = 3;
/// The smallest turn taken for one, and how far two lines' angles may differ beyond what
/// their rows can tell (degrees).
const MIN_TURN: f32 = 0.5;
const AGREE: f32 = 0.5;

/// For each sampled row, how many samples from the left and from the right edge are canvas.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Canvas {
    left: Vec<usize>,
    right: Vec<usize>,
}

impl Canvas {
    /// Looks at the grid of samples `(x0 + i·step, y0 + j·step)` inside `[x0, y0, x1, y1)`.
    pub fn find(image: &RgbImage, [x0, y0, x1, y1]: [i64; 4], step: i64) -> Self {
        let step = step.max(1);
        let cols = ((x1 - x0).max(0) + step - 1) / step;
        let rows = ((y1 - y0).max(0) + step - 1) / step;
        let white = |i: i64, j: i64| {
            pixel(image, x0 + i * step, y0 + j * step)
                .is_some_and(|p| p.iter().all(|&c| c >= WHITE))
        };
        let run = |j: i64, from_left: bool| {
            (0..cols)
                .take_while(|&k| white(if from_left { k } else { cols - 1 - k }, j))
                .count()
        };
        let left: Vec<usize> = (0..rows).map(|j| run(j, true)).collect();
        let right: Vec<usize> = (0..rows).map(|j| run(j, false)).collect();
        let cols = cols as usize;
        let lines = [side_lines(&left, cols), side_lines(&right, cols)];
        let turned = match lines {
            [Some(l), Some(r)] => {
                let all: Vec<Line> = l.into_iter().chain(r).collect();
                all.len() >= 2 && agree(&all)
            }
            _ => false,
        };
        if turned {
            Self { left, right }
        } else {
            Self::default()
        }
    }

    /// Whether the sample in row `row`, column `col` of the grid (of `cols` columns) is
    /// canvas, or on the soft edge next to it.
    pub fn covers(&self, row: usize, col: usize, cols: usize) -> bool {
        let edge = |runs: &[usize]| runs.get(row).map_or(0, |&n| if n > 0 { n + 1 } else { 0 });
        col < edge(&self.left) || col + edge(&self.right) >= cols
    }

    /// Whether any canvas was found.
    pub fn found(&self) -> bool {
        self.left.iter().chain(&self.right).any(|&n| n > 0)
    }
}

/// A straight run of canvas edge: its slope (samples across per row down, from the edge row
/// inwards) and how many rows it spans.
#[derive(Debug, Clone, Copy)]
struct Line {
    slope: f32,
    rows: usize,
}

impl Line {
    /// The turn this line says, in degrees: a turned rectangle's side makes a slope of
    /// tan θ (nearly upright) or cot θ (nearly level).
    fn turn(self) -> f32 {
        let s = self.slope.abs();
        (if s <= 1.0 { s.atan() } else { (1.0 / s).atan() }).to_degrees()
    }

    /// How well its rows tell the turn (degrees): ±STRAY samples at the ends.
    fn doubt(self) -> f32 {
        let ds = 2.0 * STRAY / self.rows as f32;
        (ds / (1.0 + self.slope * self.slope)).to_degrees()
    }
}

/// Whether every line tells the same turn.
fn agree(lines: &[Line]) -> bool {
    lines.iter().all(|a| {
        a.turn() >= MIN_TURN
            && lines
                .iter()
                .all(|b| (a.turn() - b.turn()).abs() <= AGREE + a.doubt() + b.doubt())
    })
}

/// The straight lines of one side's runs (empty for a side with no canvas), or `None` when
/// the runs are not a turned picture's canvas.
fn side_lines(runs: &[usize], cols: usize) -> Option<Vec<Line>> {
    let full = |r: usize| r >= cols;
    let n = runs.len();
    let top_full = runs.iter().take_while(|&&r| full(r)).count();
    let bottom_full = runs[top_full..]
        .iter()
        .rev()
        .take_while(|&&r| full(r))
        .count();
    let inner = &runs[top_full..n - bottom_full];
    // The picture takes most rows; whole-white rows only above and below it.
    if inner.len() * 2 < n || inner.iter().any(|&r| full(r)) {
        return None;
    }
    if inner.iter().all(|&r| r == 0) {
        return Some(Vec::new());
    }
    let from_top = inner.iter().take_while(|&&r| r > 0).count();
    let from_bottom = inner.iter().rev().take_while(|&&r| r > 0).count();
    // The part from the top down to the split, and from the bottom up to it.
    let (top, bottom): (Vec<usize>, Vec<usize>) = if from_top == inner.len() {
        // A V (no row without canvas): split where two lines fit best.
        let k = best_split(inner);
        (
            inner[..k].to_vec(),
            inner[k..].iter().rev().copied().collect(),
        )
    } else {
        if inner[from_top..inner.len() - from_bottom]
            .iter()
            .any(|&r| r > 0)
        {
            return None;
        }
        (
            inner[..from_top].to_vec(),
            inner[inner.len() - from_bottom..]
                .iter()
                .rev()
                .copied()
                .collect(),
        )
    };
    let mut lines = Vec::new();
    for part in [top, bottom] {
        if part.len() < LINE_ROWS {
            // A corner that only just shows: it must still shrink inwards.
            if part.windows(2).any(|w| w[0] < w[1]) {
                return None;
            }
            continue;
        }
        let (slope, worst) = fit(&part);
        if slope >= 0.0 || worst > STRAY {
            return None;
        }
        lines.push(Line {
            slope,
            rows: part.len(),
        });
    }
    Some(lines)
}

/// Least-squares line through (i, runs[i]): its slope, and the largest distance of a run from it.
fn fit(runs: &[usize]) -> (f32, f32) {
    let n = runs.len() as f32;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for (i, &r) in runs.iter().enumerate() {
        let (x, y) = (i as f32, r as f32);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx).max(1e-6);
    let icpt = (sy - slope * sx) / n;
    let worst = runs
        .iter()
        .enumerate()
        .map(|(i, &r)| (r as f32 - (icpt + slope * i as f32)).abs())
        .fold(0.0, f32::max);
    (slope, worst)
}

/// Where to split a V of runs into a top and a bottom line: the row that leaves the least
/// squared error in the two lines fitted to either side (each worked out from running sums:
/// the error of a line does not depend on which way its rows are counted).
fn best_split(runs: &[usize]) -> usize {
    // Running sums of 1, i, i², r, r², i·r over the first k rows.
    let mut sums = vec![[0f64; 6]; runs.len() + 1];
    for (i, &r) in runs.iter().enumerate() {
        let (x, y) = (i as f64, r as f64);
        let prev = sums[i];
        sums[i + 1] = [
            prev[0] + 1.0,
            prev[1] + x,
            prev[2] + x * x,
            prev[3] + y,
            prev[4] + y * y,
            prev[5] + x * y,
        ];
    }
    let sse = |a: usize, b: usize| {
        let s: Vec<f64> = (0..6).map(|k| sums[b][k] - sums[a][k]).collect();
        let n = s[0];
        if n < 2.0 {
            return 0.0;
        }
        let sxx = s[2] - s[1] * s[1] / n;
        let syy = s[4] - s[3] * s[3] / n;
        let sxy = s[5] - s[1] * s[3] / n;
        (syy - sxy * sxy / sxx.max(1e-9)).max(0.0)
    };
    (1..runs.len())
        .min_by(|&a, &b| {
            (sse(0, a) + sse(a, runs.len())).total_cmp(&(sse(0, b) + sse(b, runs.len())))
        })
        .unwrap_or(runs.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A scene with some detail, turned by `degrees` (and scaled by `scale`) on white.
    fn turned(w: u32, h: u32, degrees: f32, scale: f32) -> RgbImage {
        let (s, c) = degrees.to_radians().sin_cos();
        let (hw, hh) = (w as f32 / 2.0, h as f32 / 2.0);
        RgbImage::from_fn(w, h, |x, y| {
            let (dx, dy) = (x as f32 + 0.5 - hw, y as f32 + 0.5 - hh);
            let (u, v) = ((dx * c + dy * s) / scale, (-dx * s + dy * c) / scale);
            if u.abs() <= hw && v.abs() <= hh {
                let g = 120 + ((u / 7.0).sin() * 20.0) as i32;
                Rgb([g as u8, g as u8, (g + 10) as u8])
            } else {
                Rgb([255, 255, 255])
            }
        })
    }

    /// The grid's samples that are white, and whether the canvas covers each of them and
    /// nothing but them (and their soft edge).
    fn assert_covers_just_the_canvas(img: &RgbImage, canvas: &Canvas, step: i64) {
        let (w, h) = (img.width() as i64, img.height() as i64);
        let cols = ((w + step - 1) / step) as usize;
        let mut white = 0;
        for row in 0..((h + step - 1) / step) as usize {
            for col in 0..cols {
                let p = img
                    .get_pixel(col as u32 * step as u32, row as u32 * step as u32)
                    .0;
                let covered = canvas.covers(row, col, cols);
                if p == [255, 255, 255] {
                    white += 1;
                    assert!(covered, "white sample ({col}, {row}) not covered");
                } else if covered {
                    let next_to_white = [col.saturating_sub(1), col + 1].iter().any(|&c| {
                        c < cols
                            && img
                                .get_pixel(c as u32 * step as u32, row as u32 * step as u32)
                                .0
                                == [255, 255, 255]
                    });
                    assert!(next_to_white, "scene sample ({col}, {row}) covered");
                }
            }
        }
        assert!(white > 50, "the test picture shows its canvas");
    }

    #[test]
    fn a_turned_pictures_canvas_is_found_and_covers_only_itself() {
        // As the same size (the corners meet on the edges), larger (the picture's corners
        // outside the frame: four separate triangles), and smaller (canvas on every side,
        // whole-white rows above and below the picture).
        for (degrees, scale) in [
            (8.0, 1.0),
            (-5.0, 0.95),
            (12.0, 1.15),
            (3.0, 1.0),
            (2.5, 0.93),
        ] {
            let img = turned(400, 480, degrees, scale);
            let canvas = Canvas::find(&img, [0, 0, 400, 480], 3);
            assert!(canvas.found(), "{degrees}° ×{scale}");
            assert_covers_just_the_canvas(&img, &canvas, 3);
        }
    }

    #[test]
    fn white_that_is_part_of_the_scene_is_not_canvas() {
        let grey = Rgb([128, 128, 128]);
        let white = Rgb([255, 255, 255]);
        // A white backdrop with a person (a round head on shoulders) in front.
        let person = RgbImage::from_fn(300, 400, |x, y| {
            let (dx, dy) = (x as f32 - 150.0, y as f32 - 160.0);
            let head = dx.hypot(dy) < 70.0;
            let body = y > 260 && dx.abs() < 60.0 + (y as f32 - 260.0) * 0.8;
            if head || body { grey } else { white }
        });
        // A white door frame along one side (a straight edge, but no taper).
        let door = RgbImage::from_fn(300, 400, |x, _| if x < 40 { white } else { grey });
        // A round blown-out lamp in a corner.
        let lamp = RgbImage::from_fn(300, 400, |x, y| {
            if (x as f32).hypot(y as f32) < 90.0 {
                white
            } else {
                grey
            }
        });
        // An all-white picture, and a plain grey one.
        let blank = RgbImage::from_pixel(300, 400, white);
        let plain = RgbImage::from_pixel(300, 400, grey);
        for (what, img) in [
            ("person on white", person),
            ("door", door),
            ("lamp", lamp),
            ("blank", blank),
            ("plain", plain),
        ] {
            assert!(!Canvas::find(&img, [0, 0, 300, 400], 3).found(), "{what}");
        }
    }

    #[test]
    fn only_the_region_asked_about_is_searched() {
        let img = turned(400, 480, 8.0, 1.0);
        assert!(!Canvas::find(&img, [100, 100, 300, 380], 3).found());
    }
}
